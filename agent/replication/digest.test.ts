import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DigestCache, PeriodicDigest, ledgerDigest } from './digest.ts'

function pair() {
  const a = new Y.Doc()
  const b = new Y.Doc()
  a.getMap('tasks').set('t1', { x: 1 })
  a.getMap('tasks').set('t2', { x: 2 })
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  return { a, b }
}

describe('ledger digest', () => {
  it('is equal for equal documents and differs after a write', () => {
    const { a, b } = pair()
    expect(Buffer.from(ledgerDigest(a))).toEqual(Buffer.from(ledgerDigest(b)))
    b.getMap('tasks').set('t3', { x: 3 })
    expect(Buffer.from(ledgerDigest(a))).not.toEqual(Buffer.from(ledgerDigest(b)))
  })

  it('covers deletions, which do not advance the state vector', () => {
    const { a, b } = pair()
    // b already knows every struct; a deletion by a adds to the delete set only
    a.getMap('tasks').delete('t1')
    expect(Buffer.from(Y.encodeStateVector(a))).toEqual(Buffer.from(Y.encodeStateVector(b)))
    expect(Buffer.from(ledgerDigest(a))).not.toEqual(Buffer.from(ledgerDigest(b)))
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
    expect(b.getMap('tasks').has('t1')).toBe(false)
    expect(Buffer.from(ledgerDigest(a))).toEqual(Buffer.from(ledgerDigest(b)))
  })

  it('ignores structs left pending for good, whatever order a replica got them in', () => {
    // What fuzz seed 1999315802 left on its target: updates claiming a client id whose earlier clocks
    // never come, two of them claiming the same id:clock with different content. Each replica keeps
    // the one it got first, so hashing pending data made two equal ledgers differ forever.
    const forged = (value: string) => {
      const w = new Y.Doc()
      w.clientID = 4242
      w.getMap('junk').set('first', 1)
      const sv = Y.encodeStateVector(w)
      w.getMap('tasks').set('t9', value)
      return Y.encodeStateAsUpdate(w, sv) // clock 1 only: waits for clock 0, which is never sent
    }
    const one = forged('one')
    const two = forged('two')
    const { a, b } = pair()
    const clean = new Y.Doc()
    Y.applyUpdate(clean, Y.encodeStateAsUpdate(a))
    Y.applyUpdate(a, one)
    Y.applyUpdate(a, two)
    Y.applyUpdate(b, two)
    Y.applyUpdate(b, one)
    expect(a.store.pendingStructs).not.toBeNull()
    expect(b.store.pendingStructs).not.toBeNull()
    // the replicas really hold different pending data, and a sync (both ways, as runSync) changes nothing
    const pendingOf = (d: Y.Doc) => Buffer.from(Y.encodeStateAsUpdate(d)).toString('hex')
    for (let round = 0; round < 2; round++) {
      const toB = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b))
      const toA = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a))
      Y.applyUpdate(b, toB)
      Y.applyUpdate(a, toA)
    }
    expect(pendingOf(a)).not.toBe(pendingOf(b))
    expect(a.getMap('tasks').toJSON()).toEqual(b.getMap('tasks').toJSON())
    const d = (doc: Y.Doc) => Buffer.from(ledgerDigest(doc)).toString('hex')
    expect(d(a)).toBe(d(b))
    expect(d(a)).toBe(d(clean))
  })

  it('still changes when a pending struct gets what it waited for', () => {
    const w = new Y.Doc()
    w.getMap('tasks').set('t1', 1)
    const first = Y.encodeStateAsUpdate(w)
    const afterFirst = Y.encodeStateVector(w)
    w.getMap('tasks').set('t2', 2)
    const second = Y.encodeStateAsUpdate(w, afterFirst)
    const r = new Y.Doc()
    Y.applyUpdate(r, second)
    expect(r.store.pendingStructs).not.toBeNull()
    const pending = Buffer.from(ledgerDigest(r))
    Y.applyUpdate(r, first)
    expect(r.store.pendingStructs).toBeNull()
    expect(Buffer.from(ledgerDigest(r))).not.toEqual(pending)
    expect(Buffer.from(ledgerDigest(r))).toEqual(Buffer.from(ledgerDigest(w)))
  })

  it('hashes the same bytes as earlier releases when nothing is pending (mixed fleets agree)', () => {
    const { a } = pair()
    a.getMap('tasks').delete('t1')
    a.getMap('agents').set('x', { y: 1 })
    const sv = Y.encodeStateVector(a)
    const earlier = crypto.createHash('sha256').update(sv).update(Y.encodeStateAsUpdate(a, sv)).digest()
    expect(Buffer.from(ledgerDigest(a))).toEqual(earlier)
  })

  it('cache is invalidated by a change', () => {
    const { a } = pair()
    const cache = new DigestCache(a)
    const before = Buffer.from(cache.get())
    a.getMap('tasks').set('t9', 1)
    expect(Buffer.from(cache.get())).not.toEqual(before)
  })
})

describe('periodic digest gossip', () => {
  it('sends a changed digest at once and an unchanged one every repeatTicks periods', () => {
    const doc = new Y.Doc()
    const cache = new DigestCache(doc)
    const gate = new PeriodicDigest(4)
    const sent: boolean[] = []
    for (let i = 0; i < 9; i++) sent.push(gate.due(cache.get()))
    // the first goes out, then every 4th period while nothing changes
    expect(sent).toEqual([true, false, false, false, true, false, false, false, true])
    doc.getMap('tasks').set('t1', { x: 1 })
    expect(gate.due(cache.get())).toBe(true)
    expect(gate.due(cache.get())).toBe(false)
    doc.getMap('tasks').delete('t1')
    expect(gate.due(cache.get())).toBe(true)
  })
})

describe('PeriodicDigest.settle', () => {
  it('takes a digest as gossiped: not due at once, due again on the 4th period, and at once when it changes', () => {
    const gate = new PeriodicDigest(4)
    const d1 = new Uint8Array([1, 2, 3])
    expect(gate.due(new Uint8Array([9]))).toBe(true)
    gate.settle(d1)
    expect([gate.due(d1), gate.due(d1), gate.due(d1), gate.due(d1)]).toEqual([false, false, false, true])
    gate.settle(d1)
    expect(gate.due(new Uint8Array([4]))).toBe(true)
  })
})
