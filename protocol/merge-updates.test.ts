import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { mergeMany } from './merge-updates.ts'

describe('mergeMany', () => {
  it('merges 1,000 updates from two clients, with deletions, into one that rebuilds the same document', () => {
    const a = new Y.Doc()
    const b = new Y.Doc()
    a.clientID = 1
    b.clientID = 2
    const updates: Uint8Array[] = []
    a.on('update', (u: Uint8Array) => updates.push(u))
    b.on('update', (u: Uint8Array) => updates.push(u))
    for (let i = 0; i < 500; i++) {
      a.getMap('m').set(`a${i % 300}`, { i })
      b.getMap('m').set(`b${i}`, i)
      if (i % 7 === 0) b.getMap('m').delete(`b${i}`)
    }
    expect(updates.length).toBeGreaterThan(1000)
    const merged = mergeMany(updates)
    const c = new Y.Doc()
    Y.applyUpdate(c, merged)
    const expected = new Y.Doc()
    for (const u of updates) Y.applyUpdate(expected, u)
    expect(c.getMap('m').toJSON()).toEqual(expected.getMap('m').toJSON())
    expect(c.getMap('m').size).toBe(300 + 500 - Math.ceil(500 / 7))
    expect(Y.encodeStateVector(c)).toEqual(Y.encodeStateVector(expected))
  })

  it('returns a single update as it is', () => {
    const u = new Uint8Array([0, 0])
    expect(mergeMany([u])).toBe(u)
  })
})
