import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import { diffInParts, missingClocks } from './diff-parts.ts'

/** Two writers, overwrites and deletions: a peer's catch-up has structs of both and a delete set. */
function sourceDoc(): { doc: Y.Doc; firstImport: Uint8Array } {
  const doc = new Y.Doc()
  const other = new Y.Doc()
  const tasks = doc.getMap('tasks')
  doc.transact(() => {
    for (let i = 0; i < 2_500; i++) tasks.set(`t${i}`, { id: `t${i}`, source: `/srv/${i}`, n: i })
  })
  const firstImport = Y.encodeStateAsUpdate(doc)
  for (let i = 0; i < 300; i++) tasks.set(`t${i}`, { id: `t${i}`, source: `/srv/${i}`, n: -i })
  for (let i = 300; i < 350; i++) tasks.delete(`t${i}`)
  other.transact(() => {
    for (let i = 0; i < 700; i++) other.getMap('claims').set(`c${i}`, { epoch: i })
  })
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(other))
  return { doc, firstImport }
}

const stateOf = (doc: Y.Doc) => ({ sv: Buffer.from(Y.encodeStateVector(doc)).toString('hex'), tasks: doc.getMap('tasks').toJSON(), claims: doc.getMap('claims').toJSON() })

describe('diffInParts', () => {
  it('brings a fresh peer and a half-synced one exactly what one diff would, in parts of at most N structs', () => {
    const { doc: src, firstImport } = sourceDoc()
    const half = new Y.Doc() // a peer that had the first 2,500 tasks only
    Y.applyUpdate(half, firstImport)
    for (const peer of [new Y.Doc(), half]) {
      const theirs = Y.decodeStateVector(Y.encodeStateVector(peer))
      const oneDiff = new Y.Doc()
      Y.applyUpdate(oneDiff, Y.encodeStateAsUpdate(peer))
      Y.applyUpdate(oneDiff, Y.encodeStateAsUpdate(src, Y.encodeStateVector(peer)))
      const parts = [...diffInParts(src, theirs, 400)]
      expect(parts.length).toBeGreaterThan(2)
      // applied in reverse order too: each part is a valid update on its own
      for (const order of [parts, [...parts].reverse()]) {
        const target = new Y.Doc()
        Y.applyUpdate(target, Y.encodeStateAsUpdate(peer))
        for (const p of order) Y.applyUpdate(target, p)
        expect(stateOf(target)).toEqual(stateOf(oneDiff))
        expect(stateOf(target)).toEqual(stateOf(src))
        expect(target.getMap('tasks').has('t320')).toBe(false)
      }
    }
    expect(missingClocks(src, new Map())).toBe(2_500 + 300 + 50 * 0 + 700)
  })

  it('stays right when the document changes between parts', () => {
    const { doc: src } = sourceDoc()
    const target = new Y.Doc()
    const parts = diffInParts(src, new Map(), 300)
    let n = 0
    for (const p of parts) {
      Y.applyUpdate(target, p)
      // writes between parts: new keys, overwrites of keys already sent and not yet sent
      src.getMap('tasks').set(`late${n}`, n)
      src.getMap('tasks').set(`t${(n * 97) % 2_500}`, { changed: n })
      n++
    }
    expect(n).toBeGreaterThan(5)
    // what changed meanwhile arrives as any later change would
    Y.applyUpdate(target, Y.encodeStateAsUpdate(src, Y.encodeStateVector(target)))
    expect(stateOf(target)).toEqual(stateOf(src))
  })
})
