/**
 * Pure text helpers for the fleet view: sizes, rates, durations, bars and fixed-width cells. Every cell is
 * cut to its width here so no line can grow past the terminal and wrap (which would garble the frame).
 */
import { terminalSafe } from '../protocol/terminal-text.ts'

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB']

/** 1536 → "1.5 KB" (binary multiples, as the reports' GB column). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '-'
  let v = n
  let u = 0
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024
    u++
  }
  return u === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[u]}`
}

export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '-'
  return `${formatBytes(bytesPerSecond)}/s`
}

/** Seconds → "45s", "12m", "3h05m", "2d04h"; short enough for a table cell. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`
  const d = Math.floor(h / 24)
  return `${d}d${String(h % 24).padStart(2, '0')}h`
}

/** An estimated time left (protocol/time-left.ts): "unknown" until there is a measurement. */
export function formatLeft(seconds: number | null): string {
  return seconds === null ? 'unknown' : formatDuration(seconds)
}

/** "4s ago" relative to the snapshot's own time, so the view does not depend on the local clock. */
export function formatAgo(iso: string | null, nowIso: string): string {
  if (!iso) return 'never'
  const then = Date.parse(iso)
  const now = Date.parse(nowIso)
  if (!Number.isFinite(then) || !Number.isFinite(now)) return '-'
  const s = Math.max(0, (now - then) / 1000)
  return s < 1 ? 'now' : `${formatDuration(s)} ago`
}

/** When an agent may work next, in 9 columns, UTC: "19:00" today, "Wed 19:00" on another day, "never". */
export function formatNext(iso: string | null, nowIso: string): string {
  if (!iso) return 'never'
  const ms = Date.parse(iso)
  if (!Number.isFinite(ms)) return '-'
  const t = new Date(ms).toISOString()
  const hm = t.slice(11, 16)
  if (t.slice(0, 10) === nowIso.slice(0, 10)) return hm
  return `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(ms).getUTCDay()]} ${hm}`
}

/** "2024-05-01 08:00:03" in UTC: unambiguous across agents in other time zones. */
export function formatTime(iso: string | null): string {
  if (!iso) return '-'
  const ms = Date.parse(iso)
  if (!Number.isFinite(ms)) return '-'
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19)
}

/** Cuts to `width` columns with an ellipsis and pads on the right (or left when `right`). */
export function cell(text: string, width: number, right = false): string {
  if (width <= 0) return ''
  // Control characters from peer data would move the cursor: shown as visible escapes.
  const clean = terminalSafe(text)
  const cut = clean.length > width ? (width === 1 ? '…' : `${clean.slice(0, width - 1)}…`) : clean
  return right ? cut.padStart(width) : cut.padEnd(width)
}

/** Like cell, but keeps the end of the text (paths are told apart by their tail). */
export function cellTail(text: string, width: number): string {
  if (width <= 0) return ''
  const clean = terminalSafe(text)
  if (clean.length <= width) return clean.padEnd(width)
  return width === 1 ? '…' : `…${clean.slice(clean.length - width + 1)}`
}

/** A bar of `width` cells filled to `fraction` (0..1). */
export function bar(fraction: number, width: number): string {
  if (width <= 0) return ''
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0
  const full = Math.round(f * width)
  return '█'.repeat(full) + '░'.repeat(width - full)
}

const SPARKS = '▁▂▃▄▅▆▇█'

/** The last `width` samples as block characters scaled to the largest of them. */
export function sparkline(samples: readonly number[], width: number): string {
  if (width <= 0) return ''
  const tail = samples.slice(-width)
  const max = Math.max(0, ...tail)
  const line = tail.map((v) => (max > 0 && v > 0 ? SPARKS[Math.min(7, Math.floor((v / max) * 7.999))] : ' ')).join('')
  return line.padStart(width)
}

/** "52%" of bytes; a task with nothing to copy is 100% once completed, else 0%. */
export function percent(done: number, total: number): string {
  if (total <= 0) return '-'
  return `${Math.floor((Math.min(done, total) / total) * 100)}%`
}

/** Destination URL with library and folder, as Migration Manager's reports show it. */
export function destinationText(d: { url: string; library: string | null; folder: string | null }): string {
  const parts = [d.url.replace(/\/+$/, '')]
  if (d.library) parts.push(d.library)
  if (d.folder) parts.push(d.folder.replace(/^\/+/, ''))
  return parts.join('/')
}
