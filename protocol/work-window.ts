/**
 * Off-peak work windows of an agent group (`mmesh group set NAME --window 'Mon-Fri 19:00-07:00,Sat-Sun'`):
 * the parser and the clock arithmetic. Pure: the time zone rules come from Intl (the runtime's tz data),
 * the instant is always passed in, so the agent and the tests can drive the clock.
 *
 * A window is a comma-separated list of entries; an entry is `DAYS [HH:MM-HH:MM]` or `HH:MM-HH:MM` (every
 * day). DAYS is a day (`Mon`) or a range (`Mon-Fri`, or `Fri-Mon` around the week's end). A time range that
 * ends before it starts runs past midnight into the next day (`Mon-Fri 19:00-07:00` includes Saturday
 * 06:00); `24:00` ends at midnight; days without times mean the whole day.
 */

export interface WindowEntry {
  /** Monday = 0 … Sunday = 6: the days on which the entry starts */
  days: readonly boolean[]
  /** minutes after local midnight, start inclusive, end exclusive; end < start runs past midnight */
  start: number
  end: number
}

export interface WorkWindow {
  /** the spec as given, normalised for display */
  text: string
  entries: readonly WindowEntry[]
}

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
const FULL_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']
const DAY_HINT = 'use Mon, Tue, Wed, Thu, Fri, Sat or Sun, or a range such as Mon-Fri'

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string }

function day(word: string): number {
  const w = word.toLowerCase()
  const i = DAY_NAMES.indexOf(w as (typeof DAY_NAMES)[number])
  return i >= 0 ? i : FULL_NAMES.indexOf(w)
}

function time(text: string, allow24: boolean): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text)
  if (!m) return null
  const h = Number(m[1])
  const min = Number(m[2])
  if (min > 59) return null
  if (h === 24 && min === 0 && allow24) return 1440
  if (h > 23) return null
  return h * 60 + min
}

function parseEntry(raw: string): ParseResult<WindowEntry> {
  const parts = raw.split(/\s+/).filter((p) => p !== '')
  let daysText: string | null = null
  let timeText: string | null = null
  if (parts.length === 1) {
    if (/\d/.test(parts[0]!)) timeText = parts[0]!
    else daysText = parts[0]!
  } else if (parts.length === 2) {
    ;[daysText, timeText] = parts as [string, string]
  } else return { ok: false, error: `"${raw}" is not DAYS HH:MM-HH:MM (e.g. Mon-Fri 19:00-07:00)` }

  const days = new Array<boolean>(7).fill(daysText === null)
  if (daysText !== null) {
    const ends = daysText.split('-')
    if (ends.length > 2 || ends.some((e) => e === '')) return { ok: false, error: `"${daysText}" is not a day or a range of days: ${DAY_HINT}` }
    const from = day(ends[0]!)
    const to = day(ends[ends.length - 1]!)
    for (const [word, n] of [[ends[0]!, from], [ends[ends.length - 1]!, to]] as const) {
      if (n < 0) return { ok: false, error: `"${word}" is not a day: ${DAY_HINT}` }
    }
    // A range may run around the week's end (Fri-Mon).
    for (let d = from; ; d = (d + 1) % 7) {
      days[d] = true
      if (d === to) break
    }
  }
  let start = 0
  let end = 1440
  if (timeText !== null) {
    const m = /^([^-]+)-([^-]+)$/.exec(timeText)
    const s = m ? time(m[1]!, false) : null
    const e = m ? time(m[2]!, true) : null
    if (s === null || e === null) return { ok: false, error: `"${timeText}" is not a time range HH:MM-HH:MM (00:00 to 24:00, e.g. 19:00-07:00)` }
    if (s === e % 1440 && e !== 1440) return { ok: false, error: `"${timeText}" starts and ends at the same time: give the whole day as 00:00-24:00 or leave the times out` }
    start = s
    end = e
  }
  return { ok: true, value: { days, start, end } }
}

/** Parses a window spec; the error names the bad part and the form wanted. An empty spec is refused (a caller clears with it). */
export function parseWindow(spec: string): ParseResult<WorkWindow> {
  const text = spec.trim()
  if (text === '') return { ok: false, error: 'the window is empty: give DAYS HH:MM-HH:MM entries separated by commas (e.g. Mon-Fri 19:00-07:00,Sat-Sun)' }
  if (text.length > 500) return { ok: false, error: 'the window is longer than 500 characters' }
  const entries: WindowEntry[] = []
  for (const raw of text.split(',')) {
    const part = raw.trim()
    if (part === '') return { ok: false, error: `"${text}" has an empty entry between commas` }
    const e = parseEntry(part)
    if (!e.ok) return e
    entries.push(e.value)
  }
  return { ok: true, value: { text: text.split(',').map((p) => p.trim().replace(/\s+/g, ' ')).join(','), entries } }
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' })
    formatters.set(tz, f)
  }
  return f
}

/** True when the runtime knows the IANA zone (e.g. Europe/Berlin, UTC). */
export function isTimeZone(tz: string): boolean {
  if (tz.trim() === '' || tz.length > 64) return false
  try {
    formatter(tz)
    return true
  } catch {
    return false
  }
}

interface LocalTime {
  y: number
  mo: number
  d: number
  /** Monday = 0 */
  dow: number
  /** minutes after local midnight */
  minute: number
}

function local(ms: number, tz: string): LocalTime {
  const parts: Record<string, string> = {}
  for (const p of formatter(tz).formatToParts(new Date(ms))) parts[p.type] = p.value
  return {
    y: Number(parts.year),
    mo: Number(parts.month),
    d: Number(parts.day),
    dow: day(parts.weekday ?? ''),
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  }
}

/** The zone's offset (ms ahead of UTC) at an instant, to the minute. */
function offsetAt(ms: number, tz: string): number {
  const l = local(ms, tz)
  return Date.UTC(l.y, l.mo - 1, l.d, 0, l.minute) - Math.floor(ms / 60_000) * 60_000
}

/** The instant of a local wall time (a time skipped by a DST change lands just after the gap). */
function instantOf(y: number, mo: number, d: number, minute: number, tz: string): number {
  const wall = Date.UTC(y, mo - 1, d, 0, minute)
  const first = wall - offsetAt(wall, tz)
  const second = wall - offsetAt(first, tz)
  return second
}

/** Whether the window is open at `ms` in zone `tz`. */
export function windowOpenAt(win: WorkWindow, tz: string, ms: number): boolean {
  const l = local(ms, tz)
  const prev = (l.dow + 6) % 7
  for (const e of win.entries) {
    if (e.start < e.end) {
      if (e.days[l.dow] && l.minute >= e.start && l.minute < e.end) return true
    } else if ((e.days[l.dow] && l.minute >= e.start) || (e.days[prev] && l.minute < e.end)) return true
  }
  return false
}

/**
 * The next instant after `ms` at which the window opens (when closed now) or closes (when open now),
 * or null when that never happens (open every minute of the week, or never). The state changes only at
 * an entry's start or end, or at midnight, so those local times over the next eight days are the only
 * candidates.
 */
export function nextWindowChange(win: WorkWindow, tz: string, ms: number): number | null {
  const openNow = windowOpenAt(win, tz, ms)
  const l = local(ms, tz)
  const minutes = new Set<number>([0])
  for (const e of win.entries) {
    minutes.add(e.start)
    if (e.end < 1440) minutes.add(e.end)
  }
  const candidates: number[] = []
  for (let k = 0; k <= 8; k++) for (const m of minutes) {
    const t = instantOf(l.y, l.mo, l.d + k, m, tz)
    if (t > ms) candidates.push(t)
  }
  candidates.sort((a, b) => a - b)
  for (const t of candidates) if (windowOpenAt(win, tz, t) !== openNow) return t
  return null
}

export interface WindowState {
  open: boolean
  /** ISO instant of the next opening (closed now) or closing (open now); null: never */
  next: string | null
}

/** Open or closed at `ms`, and until when; a missing window is always open. */
export function windowState(win: WorkWindow | null, tz: string, ms: number): WindowState {
  if (!win) return { open: true, next: null }
  const open = windowOpenAt(win, tz, ms)
  const next = nextWindowChange(win, tz, ms)
  return { open, next: next === null ? null : new Date(next).toISOString() }
}
