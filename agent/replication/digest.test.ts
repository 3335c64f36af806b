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
