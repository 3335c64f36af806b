import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createCatchUpMeter } from './catch-up.ts'

/** A replica with `n` separate writes, as `n` ledger records are. */
function replicaWith(n: number): Y.Doc {
  const doc = new Y.Doc()
  const tasks = doc.getMap('tasks')
  for (let i = 0; i < n; i++) tasks.set(`t${i}`, { i })
  return doc
}

const svField = (doc: Y.Doc) => Buffer.from(Y.encodeStateVector(doc)).toString('base64')

describe('catch-up meter', () => {
  it('counts the records a peer holds and this replica lacks, down to 0 once they arrive', () => {
    const peer = replicaWith(250)
    const self = new Y.Doc()
    const fields = new Map<string, Record<string, unknown>>([['peer', { sv: svField(peer) }]])
    const published: number[] = []
    const meter = createCatchUpMeter({ self: 'me', doc: self, peerFields: () => fields.entries(), publish: (n) => published.push(n), publishMs: 60_000 })
    try {
      expect(meter.behind()).toBe(250)
      expect(meter.of('me')).toBe(250)
      // half of it arrives
      Y.applyUpdate(self, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(self)))
      expect(meter.behind()).toBe(0)
      expect(meter.of('me')).toBeNull()
    } finally {
      meter.stop()
    }
  })

  it('takes the furthest peer per writer, ignores a vector that does not decode, and reports what a peer says of itself', () => {
    const a = replicaWith(100)
    const b = new Y.Doc()
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    b.getMap('tasks').set('extra', 1)
    const self = new Y.Doc()
    Y.applyUpdate(self, Y.encodeStateAsUpdate(a))
    const fields = new Map<string, Record<string, unknown>>([
      ['a', { sv: svField(a) }],
      ['b', { sv: svField(b), catchingUp: 42 }],
      ['junk', { sv: 'not a state vector', catchingUp: -3 }],
    ])
    const meter = createCatchUpMeter({ self: 'me', doc: self, peerFields: () => fields.entries(), publish: () => {}, publishMs: 60_000 })
    try {
      expect(meter.behind()).toBe(1)
      expect(meter.of('b')).toBe(42)
      expect(meter.of('junk')).toBeNull()
      expect(meter.of('a')).toBeNull()
    } finally {
      meter.stop()
    }
  })

  it('publishes its own figure in the heartbeat when it changes', async () => {
    const peer = replicaWith(30)
    const self = new Y.Doc()
    const published: number[] = []
    const meter = createCatchUpMeter({ self: 'me', doc: self, peerFields: () => new Map([['peer', { sv: svField(peer) }]]).entries(), publish: (n) => published.push(n), publishMs: 20 })
    try {
      const deadline = Date.now() + 5_000
      while (published.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      expect(published[0]).toBe(30)
      Y.applyUpdate(self, Y.encodeStateAsUpdate(peer))
      while (published.at(-1) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      expect(published.at(-1)).toBe(0)
    } finally {
      meter.stop()
    }
  })
})
