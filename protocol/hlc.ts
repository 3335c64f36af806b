/**
 * Hybrid logical clock: wall time plus a counter plus the writer's id. Its string form sorts the same
 * way as the clock, so admin commands from any replica fold in one order everywhere, and a command
 * issued after seeing another always sorts after it even when the VMs' clocks disagree.
 */
export interface Hlc {
  wallMs: number
  counter: number
  node: string
}

export function formatHlc(h: Hlc): string {
  return `${h.wallMs.toString().padStart(15, '0')}-${h.counter.toString().padStart(6, '0')}-${h.node}`
}

/** The string form, exactly: 15 digits of wall time, 6 of counter, the writer's peer id. */
export const HLC_PATTERN = /^(\d{15})-(\d{6})-([1-9A-HJ-NP-Za-km-z]{8,128})$/

/**
 * How far ahead of a reader's own clock a command's clock may be and still count. A record dated further
 * ahead would win every later write (and drag every local clock that observes it forward) until that time:
 * readers ignore it, and it counts only once their clock gets near it.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000

/** True when `hlc` is dated more than `maxSkewMs` after `nowMs` (or does not parse). */
export function hlcTooFarAhead(hlc: string, nowMs: number, maxSkewMs = MAX_CLOCK_SKEW_MS): boolean {
  const h = parseHlc(hlc)
  return h === null || h.wallMs > nowMs + maxSkewMs
}

export function parseHlc(s: string): Hlc | null {
  const m = HLC_PATTERN.exec(s)
  if (!m) return null
  return { wallMs: Number(m[1]), counter: Number(m[2]), node: m[3]! }
}

/** The next local timestamp, after both the previous local one and the latest one seen from others. */
export function tickHlc(prev: Hlc | null, seen: Hlc | null, nowMs: number, node: string): Hlc {
  const maxPrev = [prev, seen].filter((h): h is Hlc => h !== null).reduce<Hlc | null>((a, b) => (a === null || compareHlc(b, a) > 0 ? b : a), null)
  if (maxPrev === null || nowMs > maxPrev.wallMs) return { wallMs: nowMs, counter: 0, node }
  return { wallMs: maxPrev.wallMs, counter: maxPrev.counter + 1, node }
}

export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wallMs !== b.wallMs) return a.wallMs - b.wallMs
  if (a.counter !== b.counter) return a.counter - b.counter
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0
}
