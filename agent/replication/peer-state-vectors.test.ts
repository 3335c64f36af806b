import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { strictlyBehind } from './peer-state-vectors.ts'

/** Two replicas with fixed client ids; `sync` brings b up to a. */
function replicas() {
  const a = new Y.Doc()
  a.clientID = 1
  const b = new Y.Doc()
  b.clientID = 2
  const sync = (from: Y.Doc, to: Y.Doc) => Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)))
  const sv = (d: Y.Doc) => Y.decodeStateVector(Y.encodeStateVector(d))
  return { a, b, sync, sv }
}

describe('strictlyBehind', () => {
  it('is true only when the document holds all the peer has, and more', () => {
    const { a, b, sync, sv } = replicas()
    a.getMap('claims').set('t1/a', { epoch: 1 })
    b.getMap('claims').set('t2/b', { epoch: 1 })
    // each has something the other lacks
    expect(strictlyBehind(a, sv(b))).toBe(false)
    expect(strictlyBehind(b, sv(a))).toBe(false)
    sync(b, a)
    // a holds b's write and its own: b is behind a, a is not behind b
    expect(strictlyBehind(a, sv(b))).toBe(true)
    expect(strictlyBehind(b, sv(a))).toBe(false)
    sync(a, b)
    // equal vectors: not behind (a difference in deletions alone must still be synced)
    expect(strictlyBehind(a, sv(b))).toBe(false)
    expect(strictlyBehind(b, sv(a))).toBe(false)
    // an empty peer is behind any document with content; an empty document is behind nobody
    expect(strictlyBehind(a, new Map())).toBe(true)
    expect(strictlyBehind(new Y.Doc(), new Map())).toBe(false)
  })
})
