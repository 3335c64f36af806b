/**
 * Drives the hostile peer: `count` fuzzed messages, chosen and built from a seed, to one target agent
 * over every way in (ledger and presence gossip, the sync stream, the item-results stream), plus floods.
 * Returns what was sent per kind and what the target's counters say it rejected.
 */
import { LEDGER_TOPIC, PRESENCE_TOPIC, SYNC_PROTOCOL } from '../../protocol/wire.ts'
import { ITEMS_PROTOCOL } from '../../protocol/items-wire.ts'
import { Rng } from '../chaos/rng.ts'
import type { FuzzPeer } from './peer.ts'
import {
  UpdateForge, itemsScenario, ledgerGarbage, mutate, oversizedGossip, presenceMessage, randomDigest, syncScenario,
  type Victims,
} from './messages.ts'
import { encodeGossip } from '../../protocol/wire.ts'

export interface FuzzOptions {
  seed: number
  count: number
  victims: Victims
  /** the target's ledger as one update (its state before the fuzzing) */
  base: Uint8Array
  /** the fuzzer's own dialable address (for its presence lies) */
  selfAddr: string
  /** called now and then: lets the caller check the target is alive mid-run */
  onProgress?: (sent: number) => Promise<void>
}

export interface FuzzFigures {
  seed: number
  sent: number
  byKind: Record<string, number>
  /** time spent building and sending each kind (streams: until the next one may start) */
  msByKind: Record<string, number>
  ms: number
}

const KINDS: [string, number][] = [
  ['ledger-random', 14],
  ['ledger-mutated', 14],
  ['ledger-oversized', 1],
  ['ledger-wrong-types', 14],
  ['ledger-forged', 10],
  ['ledger-digest', 2],
  ['presence', 10],
  ['sync-frames', 12],
  ['items-frames', 8],
]
/** Every FLOOD_EVERY messages, FLOOD_SIZE more at once (about 13 % of all). */
const FLOOD_EVERY = 1000
const FLOOD_SIZE = 150

function pickKind(rng: Rng): string {
  const total = KINDS.reduce((n, [, w]) => n + w, 0)
  let x = rng.next() * total
  for (const [k, w] of KINDS) if ((x -= w) < 0) return k
  return KINDS[0]![0]
}

export async function runFuzz(peer: FuzzPeer, o: FuzzOptions): Promise<FuzzFigures> {
  const rng = new Rng(o.seed)
  const forge = new UpdateForge(o.base, peer.key, o.victims)
  const byKind: Record<string, number> = {}
  const msByKind: Record<string, number> = {}
  const started = Date.now()
  let sent = 0
  let nextCheck = 500
  const count = (k: string, n = 1) => {
    byKind[k] = (byKind[k] ?? 0) + n
    sent += n
  }
  const ledger = (b: Uint8Array) => peer.publish(LEDGER_TOPIC, b).catch(() => undefined)
  // Streams run a few at a time (the agent takes 8 inbound sync streams per connection): a stream costs
  // a round trip or two, and one at a time made them most of the run's time.
  const streams = new Set<Promise<void>>()
  const stream = async (p: Promise<void>) => {
    const t = p.finally(() => streams.delete(t))
    streams.add(t)
    if (streams.size >= 4) await Promise.race(streams)
  }
  let nextFlood = FLOOD_EVERY
  while (sent < o.count) {
    const kind = sent >= nextFlood ? 'flood' : pickKind(rng)
    if (kind === 'flood') nextFlood += FLOOD_EVERY
    const t0 = performance.now()
    switch (kind) {
      case 'ledger-random':
        await ledger(ledgerGarbage(rng))
        count(kind)
        break
      case 'ledger-mutated':
        await ledger(mutate(rng, encodeGossip({ type: 'update', update: rng.next() < 0.5 ? forge.wrongType(rng) : forge.forged(rng) })))
        count(kind)
        break
      case 'ledger-oversized':
        await ledger(oversizedGossip(rng))
        count(kind)
        break
      case 'ledger-wrong-types':
        await ledger(encodeGossip({ type: 'update', update: forge.wrongType(rng) }))
        count(kind)
        break
      case 'ledger-forged':
        await ledger(encodeGossip({ type: 'update', update: forge.forged(rng) }))
        count(kind)
        break
      case 'ledger-digest':
        await ledger(randomDigest(rng))
        count(kind)
        break
      case 'presence':
        await peer.publish(PRESENCE_TOPIC, presenceMessage(rng, peer.peerId, o.victims, o.selfAddr)).catch(() => undefined)
        count(kind)
        break
      case 'sync-frames': {
        const s = syncScenario(rng, forge)
        await stream(peer.rawStream(o.victims.target, SYNC_PROTOCOL, s.raw, s.end))
        count(kind, s.frames)
        break
      }
      case 'items-frames': {
        const s = itemsScenario(rng, o.victims)
        await stream(peer.rawStream(o.victims.target, ITEMS_PROTOCOL, s.raw, s.end))
        count(kind, s.frames)
        break
      }
      case 'flood': {
        // Back to back, without waiting: gossip of every kind and a burst of streams at once.
        const n = Math.min(FLOOD_SIZE, o.count - sent)
        const jobs: Promise<unknown>[] = []
        for (let i = 0; i < n; i++) {
          const r = rng.next()
          if (r < 0.5) jobs.push(ledger(rng.next() < 0.5 ? ledgerGarbage(rng) : encodeGossip({ type: 'update', update: forge.wrongType(rng) })))
          else if (r < 0.8) jobs.push(peer.publish(PRESENCE_TOPIC, presenceMessage(rng, peer.peerId, o.victims, o.selfAddr)).catch(() => undefined))
          else {
            const s = syncScenario(rng, forge)
            jobs.push(peer.rawStream(o.victims.target, SYNC_PROTOCOL, s.raw.slice(0, 1), 'abort'))
          }
        }
        await Promise.all(jobs)
        count(kind, n)
        break
      }
    }
    msByKind[kind] = Math.round((msByKind[kind] ?? 0) + performance.now() - t0)
    if (sent >= nextCheck) {
      nextCheck += 500
      await o.onProgress?.(sent)
    }
  }
  await Promise.all(streams)
  return { seed: o.seed, sent, byKind, msByKind, ms: Date.now() - started }
}
