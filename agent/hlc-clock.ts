/**
 * The clock of this agent's commands: the next HLC sorts after every command seen so far, here or
 * from any peer, so a later command from anywhere wins over an earlier one. A clock value dated beyond
 * the allowed skew is not taken in (the ledger ignores such commands too): adopting it would date every
 * later local command in the far future as well.
 */
import { formatHlc, parseHlc, tickHlc, compareHlc, hlcTooFarAhead, type Hlc } from '../protocol/hlc.ts'
import type { Ledger } from '../protocol/ledger.ts'

export interface HlcClock {
  next(): string
  /** feed an HLC seen elsewhere, so the next local one sorts after it */
  observe(hlc: string): void
}

export function createHlcClock(ledger: Ledger, peerId: string, nowMs: () => number = () => Date.now()): HlcClock {
  let last: Hlc | null = null
  let seen: Hlc | null = null
  const observe = (s: string) => {
    const h = parseHlc(s)
    if (h && !hlcTooFarAhead(s, nowMs()) && (seen === null || compareHlc(h, seen) > 0)) seen = h
  }
  for (const c of ledger.commands()) observe(c.hlc)
  ledger.onChange((ch) => {
    if (ch.map !== 'commands' || ch.local) return
    for (const key of ch.keys) observe(key.slice(key.indexOf('/') + 1))
  })
  return {
    next() {
      last = tickHlc(last, seen, nowMs(), peerId)
      return formatHlc(last)
    },
    observe,
  }
}
