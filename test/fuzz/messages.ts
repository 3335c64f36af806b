/**
 * What the hostile peer sends, built from a seeded Rng: random and mutated gossip, valid Yjs updates
 * carrying records of the wrong types, records forged in another agent's name (signed with the wrong
 * key), presence lies, and frame sequences for the sync and item streams (garbage, truncated,
 * oversized, out of order).
 */
import * as Y from 'yjs'
import type { PrivateKey } from '@libp2p/interface'
import { Ledger } from '../../protocol/ledger.ts'
import { encodeGossip, encodeSyncFrame, MAX_GOSSIP_MESSAGE, MAX_SYNC_FRAME } from '../../protocol/wire.ts'
import { encodePresence, PRESENCE_VERSION, type PresenceMessage } from '../../protocol/presence.ts'
import { encodeItemsMessage, MAX_ITEMS_FRAME } from '../../protocol/items-wire.ts'
import { createSigner, createVerifier } from '../../agent/host/signatures.ts'
import type { Rng } from '../chaos/rng.ts'
import { lp, varint } from './peer.ts'

/** Flips, cuts, repeats or inserts bytes of a valid message. */
export function mutate(rng: Rng, src: Uint8Array): Uint8Array {
  const b = Buffer.from(src)
  switch (rng.int(0, 4)) {
    case 0: {
      for (let i = 0, n = rng.int(1, 8); i < n && b.length > 0; i++) {
        const at = rng.int(0, b.length - 1)
        b[at] = b[at]! ^ (1 << rng.int(0, 7))
      }
      return b
    }
    case 1:
      return b.subarray(0, rng.int(0, Math.max(0, b.length - 1)))
    case 2: {
      const at = rng.int(0, b.length)
      return Buffer.concat([b.subarray(0, at), rng.bytes(rng.int(1, 64)), b.subarray(at)])
    }
    case 3: {
      const at = rng.int(0, Math.max(0, b.length - 1))
      return Buffer.concat([b, b.subarray(at)])
    }
    default:
      if (b.length > 1) b[rng.int(1, b.length - 1)] = rng.pick([0, 0xff, 0x7f, 0x80])
      return b
  }
}

const WEIRD_VALUES = (rng: Rng): unknown[] => [
  42, -1, 1e308, 'just a string', '', null, true, [], [1, 'two', null], {},
  { v: 1 }, { v: 'one', id: 5 }, { id: 'x'.repeat(5000) }, { nested: { deeper: { deepest: [{}] } } },
  { v: 1, taskId: '../../etc', agent: 'not-a-peer-id', epoch: -5, round: 1e12, at: 'yesterday', released: 'no', sig: 'AAAA' },
  { v: 999, kind: 'task.explode', hlc: '', by: '', target: '' },
  JSON.parse('{"__proto__": {"polluted": true}, "toString": 5, "hasOwnProperty": "x"}'),
  rng.bytes(rng.int(0, 64)).toString('base64'),
]

export interface Victims {
  /** the agent under attack */
  target: string
  /** another agent id (a key pair the fuzzer made; it never signs anything) */
  other: string
  /** a real task the target runs: its keys may be forged, never its spec */
  realTask: string
}

/**
 * A replica of the target's ledger on the fuzzer's side: writes here become valid Yjs updates that apply
 * cleanly on the target, whatever they carry.
 */
export class UpdateForge {
  readonly doc = new Y.Doc()
  private readonly ledger: Ledger
  private readonly last: Uint8Array[] = []

  constructor(base: Uint8Array, private readonly key: PrivateKey, private readonly v: Victims) {
    Y.applyUpdate(this.doc, base)
    this.ledger = new Ledger(this.doc, { verify: createVerifier() })
    this.doc.on('update', (u: Uint8Array) => this.last.push(u))
  }

  private take(): Uint8Array {
    const u = this.last.length === 1 ? this.last[0]! : Y.mergeUpdates(this.last)
    this.last.length = 0
    return u
  }

  /** A record of the wrong type, shape or Yjs content type under a key of a real map (or an unknown map). */
  wrongType(rng: Rng): Uint8Array {
    const map = rng.pick(['tasks', 'commands', 'claims', 'outcomes', 'agents', 'settings', 'junk'])
    const key = rng.pick([`fz-${rng.int(0, 1e6)}`, `${this.v.realTask}/${this.v.other}`, `fz/${rng.int(0, 99)}/${this.v.other}`, this.v.other, ''])
    this.doc.transact(() => {
      const m = this.doc.getMap(map)
      switch (rng.int(0, 3)) {
        case 0:
          m.set(key, rng.pick(WEIRD_VALUES(rng)))
          break
        case 1: {
          // Yjs shared types where plain JSON is expected
          const t = rng.pick(['map', 'array', 'text'])
          if (t === 'map') {
            const y = new Y.Map<unknown>()
            m.set(key, y)
            y.set('v', 1)
          } else if (t === 'array') {
            const y = new Y.Array<unknown>()
            m.set(key, y)
            y.push([1, 2, 3])
          } else {
            const y = new Y.Text()
            m.set(key, y)
            y.insert(0, 'text where a record belongs')
          }
          break
        }
        case 2:
          m.set(key, new Uint8Array(rng.bytes(rng.int(0, 200))))
          break
        default:
          // a root type of another kind under a fresh name
          this.doc.getArray(`fz-array-${rng.int(0, 20)}`).push([rng.pick(WEIRD_VALUES(rng))])
      }
    })
    return this.take()
  }

  /** A claim, outcome or agent record in another agent's name, signed with the fuzzer's key. */
  forged(rng: Rng): Uint8Array {
    const name = rng.pick([this.v.target, this.v.other])
    const signer = createSigner(name, this.key)
    const taskId = rng.pick([this.v.realTask, `fz-task-${rng.int(0, 50)}`])
    const now = new Date().toISOString()
    switch (rng.int(0, 2)) {
      case 0:
        this.ledger.putClaim(signer, { taskId, agent: name, epoch: rng.int(1, 1e6), round: rng.int(0, 3), at: now, released: rng.next() < 0.5 })
        break
      case 1:
        this.ledger.putOutcome(signer, {
          taskId, round: rng.int(0, 3), agent: name, epoch: rng.int(1, 1e6), phase: rng.pick(['completed', 'failed', 'in-progress'] as const),
          counts: { scanned: 5, toMigrate: 5, migrated: 5, unchanged: 0, skipped: 0, failed: 0 }, bytes: { total: 5, migrated: 5 },
          startedAt: now, finishedAt: now, failureReason: rng.next() < 0.5 ? 'forged failure' : null, waitingReason: null, itemReplicas: [],
        })
        break
      default:
        this.ledger.putAgent(signer, { id: name, name: `forged-${rng.int(0, 99)}`, host: 'evil', group: 'Default', firstSeen: now, version: '0.0.0' })
    }
    return this.take()
  }
}

export function ledgerGarbage(rng: Rng): Uint8Array {
  switch (rng.int(0, 3)) {
    case 0:
      return rng.bytes(rng.int(0, 2000))
    case 1:
      return encodeGossip({ type: 'update', update: rng.bytes(rng.int(1, 500)) })
    case 2:
      return Uint8Array.from([rng.int(3, 255), ...rng.bytes(rng.int(0, 100))])
    default:
      return Uint8Array.from([2, ...rng.bytes(rng.pick([0, 5, 31, 34, 100]))])
  }
}

export function oversizedGossip(rng: Rng): Uint8Array {
  return encodeGossip({ type: 'update', update: rng.bytes(MAX_GOSSIP_MESSAGE + rng.int(1, 64 * 1024)) })
}

export function randomDigest(rng: Rng): Uint8Array {
  return encodeGossip({ type: 'digest', digest: rng.bytes(32), hint: rng.next() < 0.5 })
}

export function presenceMessage(rng: Rng, self: string, v: Victims, addr: string): Uint8Array {
  const base: PresenceMessage = {
    v: PRESENCE_VERSION, id: self, name: 'fuzzer', host: 'evil', group: 'Default', version: '0.0.0', capacity: 5, running: 0,
    throughput: 0, intervalMs: 1000, seq: rng.int(0, 1e6), addrs: [addr], peers: [], fields: {},
  }
  switch (rng.int(0, 5)) {
    case 0:
      return rng.bytes(rng.int(0, 3000))
    case 1:
      // speaks for another agent: its heartbeat, holding the real task
      return encodePresence({ ...base, id: rng.pick([v.target, v.other]), fields: { held: [v.realTask] } })
    case 2:
      return mutate(rng, encodePresence(base))
    case 3:
      return new TextEncoder().encode(JSON.stringify({ ...base, capacity: -1, intervalMs: 1, peers: 'all', addrs: Array(100).fill('/ip4/1.2.3.4/tcp/1') }))
    case 4:
      return new TextEncoder().encode(JSON.stringify({ ...base, fields: { held: rng.pick(WEIRD_VALUES(rng)), backoff: rng.pick(WEIRD_VALUES(rng)) }, peers: [{ id: v.other, addrs: ['/ip4/127.0.0.1/tcp/1'] }] }))
    default:
      return rng.bytes(70 * 1024)
  }
}

/** One sync-stream scenario: the raw chunks to send (length prefixes included) and how many frames it holds. */
export function syncScenario(rng: Rng, forge: UpdateForge): { raw: Uint8Array[]; frames: number; end: 'close' | 'abort' | 'linger' } {
  const sv = () => encodeSyncFrame({ type: 'stateVector', stateVector: Y.encodeStateVector(forge.doc) })
  const chunk = (b: Uint8Array) => encodeSyncFrame({ type: 'updateChunk', chunk: b })
  const done = (n: number) => encodeSyncFrame({ type: 'done', totalBytes: n })
  const end = rng.pick(['close', 'abort', 'linger'] as const)
  switch (rng.int(0, 9)) {
    case 0: {
      const frames = Array.from({ length: rng.int(1, 4) }, () => rng.bytes(rng.int(0, 300)))
      return { raw: frames.map(lp), frames: frames.length, end }
    }
    case 1: {
      const g = rng.bytes(rng.int(1, 400))
      return { raw: [lp(sv()), lp(chunk(g)), lp(done(rng.int(0, 1e6)))], frames: 3, end }
    }
    case 2:
      return { raw: [lp(chunk(rng.bytes(50))), lp(sv())], frames: 2, end }
    case 3:
      return { raw: [lp(done(0)), lp(done(5))], frames: 2, end }
    case 4:
      // truncated: the prefix promises more than ever comes
      return { raw: [lp(sv()), varint(rng.int(100, 5000)), rng.bytes(rng.int(0, 50))], frames: 2, end }
    case 5:
      // oversized: a prefix past the frame limit
      return { raw: [varint(MAX_SYNC_FRAME + rng.int(1, 1e6)), rng.bytes(1024)], frames: 1, end }
    case 6:
      return { raw: [lp(Uint8Array.from([1, ...rng.bytes(rng.int(1, 40))]))], frames: 1, end }
    case 7:
      return { raw: Array.from({ length: 10 }, () => lp(sv())), frames: 10, end }
    case 8: {
      // a valid exchange carrying records of the wrong types: applied, then ignored by the readers
      const u = forge.wrongType(rng)
      return { raw: [lp(sv()), lp(chunk(u)), lp(done(u.byteLength))], frames: 3, end: 'linger' }
    }
    default:
      return { raw: [lp(sv()), lp(chunk(mutate(rng, forge.forged(rng)))), lp(done(rng.int(0, 1000)))], frames: 3, end }
  }
}

/** One item-protocol scenario. */
export function itemsScenario(rng: Rng, v: Victims): { raw: Uint8Array[]; frames: number; end: 'close' | 'abort' | 'linger' } {
  const j = (x: unknown) => lp(new TextEncoder().encode(JSON.stringify(x)))
  const end = rng.pick(['close', 'abort', 'linger'] as const)
  switch (rng.int(0, 7)) {
    case 0:
      return { raw: [lp(rng.bytes(rng.int(0, 500)))], frames: 1, end }
    case 1:
      return { raw: [lp(encodeItemsMessage({ op: 'push', taskId: v.realTask, round: 0 })), j({ t: 'records', records: Array.from({ length: rng.int(1, 50) }, () => rng.pick(WEIRD_VALUES(rng))) }), j({ t: 'done', count: 7 })], frames: 3, end }
    case 2:
      return { raw: [lp(encodeItemsMessage({ op: 'pull', taskId: v.realTask, round: 0, after: null, limit: 10_000_000 }))], frames: 1, end: 'linger' }
    case 3:
      return { raw: [j({ op: 'rounds', taskId: '../../../etc/passwd' }), j({ op: 'push', taskId: 'x', round: -1 })], frames: 2, end }
    case 4:
      return { raw: [varint(MAX_ITEMS_FRAME + rng.int(1, 1e6)), rng.bytes(2048)], frames: 1, end }
    case 5:
      return { raw: [lp(Uint8Array.from([0xff, 0xfe, 0x00, 0x7b]))], frames: 1, end }
    case 6: {
      const rec = { taskId: v.realTask, round: 0, source: '\\\\evil\\share\\x', destination: 'file:///etc/x', name: 'x', extension: '', size: -5, isFolder: false, status: 'Exploded', resultCategory: 'x', message: 'x', errorCode: '', device: 'evil', at: 'never', readiness: 'ready' }
      return { raw: [lp(encodeItemsMessage({ op: 'push', taskId: v.realTask, round: rng.int(0, 5) })), j({ t: 'records', records: Array(1200).fill(rec) })], frames: 2, end }
    }
    default:
      return { raw: [lp(encodeItemsMessage({ op: 'push', taskId: `fz-${rng.int(0, 9)}`, round: 0 })), varint(rng.int(10, 500)), rng.bytes(5)], frames: 2, end }
  }
}
