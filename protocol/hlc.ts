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

export function parseHlc(s: string): Hlc | null {
  const m = /^(\d{15})-(\d{6})-(.+)$/.exec(s)
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
