import { describe, expect, it } from 'vitest'
import { isTimeZone, nextWindowChange, parseWindow, windowOpenAt, windowState, type WorkWindow } from './work-window.ts'

function win(spec: string): WorkWindow {
  const r = parseWindow(spec)
  if (!r.ok) throw new Error(r.error)
  return r.value
}

// 2026-12-07 is a Monday.
const utc = (iso: string) => Date.parse(`${iso}Z`)

describe('parseWindow', () => {
  it('reads days, day ranges (also around the week end), times and whole days', () => {
    const w = win(' Mon-Fri  19:00-07:00 , Sat-Sun')
    expect(w.text).toBe('Mon-Fri 19:00-07:00,Sat-Sun')
    expect(w.entries[0]!.days).toEqual([true, true, true, true, true, false, false])
    expect(w.entries[0]!.start).toBe(19 * 60)
    expect(w.entries[0]!.end).toBe(7 * 60)
    expect(w.entries[1]).toEqual({ days: [false, false, false, false, false, true, true], start: 0, end: 1440 })
    expect(win('Fri-Mon').entries[0]!.days).toEqual([true, false, false, false, true, true, true])
    expect(win('22:00-24:00').entries[0]).toEqual({ days: [true, true, true, true, true, true, true], start: 1320, end: 1440 })
    expect(win('wednesday 9:30-10:00').entries[0]!.days[2]).toBe(true)
  })

  it('refuses bad input with one sentence naming the part and the form', () => {
    const bad = (spec: string) => {
      const r = parseWindow(spec)
      expect(r.ok).toBe(false)
      return r.ok ? '' : r.error
    }
    expect(bad('Mon-Fry 19:00-07:00')).toBe('"Fry" is not a day: use Mon, Tue, Wed, Thu, Fri, Sat or Sun, or a range such as Mon-Fri')
    expect(bad('Mon 25:00-07:00')).toMatch(/^"25:00-07:00" is not a time range HH:MM-HH:MM/)
    expect(bad('Mon 19:00')).toMatch(/is not a time range/)
    expect(bad('Mon 07:00-07:00')).toMatch(/starts and ends at the same time/)
    expect(bad('Mon,,Tue')).toMatch(/empty entry/)
    expect(bad('')).toMatch(/the window is empty/)
    expect(bad('Mon 19:00-07:00 extra')).toMatch(/is not DAYS HH:MM-HH:MM/)
    expect(bad('Mon-Tue-Wed')).toMatch(/is not a day or a range of days/)
    for (const spec of ['Mon-Fry 19:00-07:00', 'Mon 25:00-07:00', '']) expect(bad(spec)).not.toContain('\n')
  })
})

describe('windowOpenAt', () => {
  const w = win('Mon-Fri 19:00-07:00,Sat-Sun')
  it('is open in the evening, past midnight into the next morning, and all weekend', () => {
    expect(windowOpenAt(w, 'UTC', utc('2026-12-07T18:59'))).toBe(false) // Mon
    expect(windowOpenAt(w, 'UTC', utc('2026-12-07T19:00'))).toBe(true)
    expect(windowOpenAt(w, 'UTC', utc('2026-12-08T06:59'))).toBe(true) // Tue morning, from Monday's entry
    expect(windowOpenAt(w, 'UTC', utc('2026-12-08T07:00'))).toBe(false)
    expect(windowOpenAt(w, 'UTC', utc('2026-12-08T12:00'))).toBe(false)
    expect(windowOpenAt(w, 'UTC', utc('2026-12-12T12:00'))).toBe(true) // Sat
    expect(windowOpenAt(w, 'UTC', utc('2026-12-07T03:00'))).toBe(false) // Mon morning: Sunday's whole day ends at midnight
  })

  it('runs past midnight only from the days listed', () => {
    const evenings = win('Mon 22:00-02:00')
    expect(windowOpenAt(evenings, 'UTC', utc('2026-12-08T01:59'))).toBe(true) // Tue 01:59, from Monday
    expect(windowOpenAt(evenings, 'UTC', utc('2026-12-07T01:00'))).toBe(false) // Mon 01:00: Sunday is not listed
    expect(windowOpenAt(evenings, 'UTC', utc('2026-12-09T01:00'))).toBe(false) // Wed 01:00
  })

  it('reads the wall clock of the zone given, through Intl (DST included)', () => {
    const nine = win('Mon-Fri 09:00-17:00')
    // 08:30 UTC on Monday is 09:30 in Berlin in winter (UTC+1), 03:30 in New York (UTC-5)
    expect(windowOpenAt(nine, 'Europe/Berlin', utc('2026-12-07T08:30'))).toBe(true)
    expect(windowOpenAt(nine, 'America/New_York', utc('2026-12-07T08:30'))).toBe(false)
    expect(windowOpenAt(nine, 'UTC', utc('2026-12-07T08:30'))).toBe(false)
    // in summer Berlin is UTC+2: 07:30 UTC is 09:30 there (2026-07-06 is a Monday)
    expect(windowOpenAt(nine, 'Europe/Berlin', utc('2026-07-06T07:30'))).toBe(true)
    expect(windowOpenAt(nine, 'Europe/Berlin', utc('2026-12-07T07:30'))).toBe(false)
    expect(isTimeZone('Europe/Berlin')).toBe(true)
    expect(isTimeZone('Mars/Olympus')).toBe(false)
  })
})

describe('nextWindowChange', () => {
  const w = win('Mon-Fri 19:00-07:00,Sat-Sun')
  it('says when a closed window opens and an open one closes', () => {
    expect(new Date(nextWindowChange(w, 'UTC', utc('2026-12-08T12:00'))!).toISOString()).toBe('2026-12-08T19:00:00.000Z')
    expect(new Date(nextWindowChange(w, 'UTC', utc('2026-12-08T20:00'))!).toISOString()).toBe('2026-12-09T07:00:00.000Z')
    // Friday night runs into the weekend, which ends at Monday 00:00 (Sunday is not in the evening entry)
    expect(new Date(nextWindowChange(w, 'UTC', utc('2026-12-11T20:00'))!).toISOString()).toBe('2026-12-14T00:00:00.000Z')
    expect(new Date(nextWindowChange(w, 'Europe/Berlin', utc('2026-12-08T12:00'))!).toISOString()).toBe('2026-12-08T18:00:00.000Z')
  })

  it('is null when the window never changes, and windowState reports open/next', () => {
    expect(nextWindowChange(win('Mon-Sun'), 'UTC', utc('2026-12-08T12:00'))).toBeNull()
    expect(windowState(null, 'UTC', 0)).toEqual({ open: true, next: null })
    expect(windowState(w, 'UTC', utc('2026-12-08T12:00'))).toEqual({ open: false, next: '2026-12-08T19:00:00.000Z' })
  })
})
