/**
 * Dates for validateUpdateListItem: SharePoint parses them in the site's regional format and time zone
 * (en-US `5/20/2023 10:15:30 AM`, de-DE `20.05.2023 10:15:30`), so a UTC instant is converted to the
 * site's local wall clock and written in its order, separators and 12/24-hour style.
 */

export interface SiteRegional {
  DateFormat: number
  DateSeparator: string
  Time24: boolean
  TimeSeparator: string
  AM: string
  PM: string
  LocaleId: number
}

export interface SiteTimeZone {
  Id: number
  Description: string
  Information?: { Bias: number; DaylightBias?: number; StandardBias?: number }
}

/** SharePoint time zone ids (SPTimeZone) of common zones, to their IANA names. */
const BY_ID: Record<number, string> = {
  2: 'Europe/London', 3: 'Europe/Paris', 4: 'Europe/Berlin', 5: 'Europe/Bucharest', 6: 'Europe/Budapest',
  7: 'Europe/Minsk', 8: 'America/Sao_Paulo', 9: 'America/Halifax', 10: 'America/New_York', 11: 'America/Chicago',
  12: 'America/Denver', 13: 'America/Los_Angeles', 14: 'America/Anchorage', 15: 'Pacific/Honolulu',
  19: 'Australia/Brisbane', 20: 'Asia/Tokyo', 24: 'Asia/Dubai', 45: 'Asia/Shanghai', 76: 'Australia/Sydney', 93: 'UTC',
}

/** Fallback by the description's city names when the id is not in the table. */
const BY_NAME: [RegExp, string][] = [
  [/Coordinated Universal Time|^\(UTC\) /i, 'UTC'], [/London|Dublin|Lisbon/i, 'Europe/London'],
  [/Berlin|Amsterdam|Vienna|Wien|Rom|Stockholm|Bern/i, 'Europe/Berlin'], [/Brussels|Paris|Madrid|Copenhagen/i, 'Europe/Paris'],
  [/Pacific Time/i, 'America/Los_Angeles'], [/Mountain Time/i, 'America/Denver'], [/Central Time/i, 'America/Chicago'],
  [/Eastern Time/i, 'America/New_York'], [/Tokyo|Osaka/i, 'Asia/Tokyo'], [/Sydney|Canberra|Melbourne/i, 'Australia/Sydney'],
  [/Helsinki|Kyiv|Riga|Sofia|Tallinn|Vilnius/i, 'Europe/Helsinki'], [/Athens|Bucharest/i, 'Europe/Bucharest'],
  [/Zurich|Prague|Budapest|Warsaw|Belgrade/i, 'Europe/Prague'], [/New Delhi|Kolkata|Mumbai/i, 'Asia/Kolkata'],
]

export function ianaZone(tz: SiteTimeZone): string | null {
  const z = BY_ID[tz.Id] ?? BY_NAME.find(([re]) => re.test(tz.Description))?.[1]
  if (!z) return null
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: z })
    return z
  } catch {
    return null
  }
}

interface Wall { y: number; mo: number; d: number; h: number; mi: number; s: number }

// Building an Intl.DateTimeFormat costs far more than using one: keep one per zone
const formatters = new Map<string, Intl.DateTimeFormat>()
function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    })
    formatters.set(zone, f)
  }
  return f
}

function wallClock(ms: number, zone: string | null, fixedBiasMin: number): Wall {
  if (zone === null) {
    // no known zone: the site's standard offset (UTC = local + Bias), without daylight saving
    const t = new Date(ms - fixedBiasMin * 60_000)
    return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds() }
  }
  const f = formatterFor(zone)
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]))
  return { y: +p.year!, mo: +p.month!, d: +p.day!, h: +p.hour! % 24, mi: +p.minute!, s: +p.second! }
}

const pad = (n: number): string => String(n).padStart(2, '0')

/** Formats an instant as the site expects a date+time value in validateUpdateListItem. */
export function formatSiteDate(ms: number, r: SiteRegional, tz: SiteTimeZone, zone = ianaZone(tz)): string {
  const w = wallClock(ms, zone, tz.Information?.Bias ?? 0)
  const sep = r.DateSeparator || '/'
  const date = r.DateFormat === 1 ? [pad(w.d), pad(w.mo), w.y] : r.DateFormat === 2 ? [w.y, pad(w.mo), pad(w.d)] : [w.mo, w.d, w.y]
  const ts = r.TimeSeparator || ':'
  if (r.Time24) return `${date.join(sep)} ${pad(w.h)}${ts}${pad(w.mi)}${ts}${pad(w.s)}`
  const h12 = w.h % 12 === 0 ? 12 : w.h % 12
  return `${date.join(sep)} ${h12}${ts}${pad(w.mi)}${ts}${pad(w.s)} ${w.h < 12 ? r.AM || 'AM' : r.PM || 'PM'}`
}
