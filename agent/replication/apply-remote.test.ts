import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { applyWithoutListener } from './apply-remote.ts'

const REMOTE = Symbol('remote')

function docs() {
  const a = new Y.Doc()
  const b = new Y.Doc()
  a.clientID = 1
  b.clientID = 2
  return { a, b }
}

describe('applyWithoutListener', () => {
  it('returns the received bytes to store, never calls the listener for them, and leaves it attached', () => {
    const { a, b } = docs()
    a.getMap('tasks').set('t1', { n: 1 })
    const update = Y.encodeStateAsUpdate(a)
    const heard: unknown[] = []
    const listener = (_u: Uint8Array, origin: unknown) => heard.push(origin)
    b.on('update', listener)
    const r = applyWithoutListener(b, update, REMOTE, listener)
    expect(r).toEqual({ remote: update, local: null, error: null })
    expect(heard).toEqual([])
    expect(b.getMap('tasks').get('t1')).toEqual({ n: 1 })
    b.getMap('tasks').set('t2', 2)
    expect(heard).toEqual([null])
    // the same update again brings nothing: nothing to store
    expect(applyWithoutListener(b, update, REMOTE, listener).remote).toBeNull()
  })

  it('captures a change an observer makes during the apply, so it is stored and published', () => {
    const { a, b } = docs()
    b.getMap('tasks').observe((e) => {
      if (e.transaction.origin === REMOTE && !b.getMap('acks').has('t1')) b.getMap('acks').set('t1', 'seen')
    })
    a.getMap('tasks').set('t1', { n: 1 })
    const listener = () => {}
    b.on('update', listener)
    const r = applyWithoutListener(b, Y.encodeStateAsUpdate(a), REMOTE, listener)
    expect(r.local).not.toBeNull()
    const c = new Y.Doc()
    Y.applyUpdate(c, r.local!)
    expect(c.getMap('acks').get('t1')).toBe('seen')
  })

  it('reports an update that does not apply and restores the listener', () => {
    const { b } = docs()
    let heard = 0
    const listener = () => void heard++
    b.on('update', listener)
    const r = applyWithoutListener(b, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]), REMOTE, listener)
    expect(r.error).toBeInstanceOf(Error)
    expect(r.remote).toBeNull()
    b.getMap('tasks').set('x', 1)
    expect(heard).toBe(1)
  })

  it('stores every update that was not a duplicate, also one that joined structs already waiting on a gap', () => {
    // Parts of one peer's changes arriving out of order (a push part overtaking a sync part): the second
    // and later parts behind a gap are merged into Yjs's pending structs in place. Each must still be
    // stored, or a restart restores the ledger without them (and without all that came after them).
    const { a, b } = docs()
    const updates: Uint8Array[] = []
    a.on('update', (u: Uint8Array) => updates.push(u))
    for (let i = 0; i < 4; i++) a.getMap('tasks').set(`t${i}`, { n: i })
    const listener = () => {}
    b.on('update', listener)
    const stored: Uint8Array[] = []
    for (const i of [1, 2, 3, 0]) {
      const r = applyWithoutListener(b, updates[i]!, REMOTE, listener)
      expect(r.error).toBeNull()
      expect(r.remote, `update ${i}`).not.toBeNull()
      stored.push(r.remote!)
    }
    expect(b.getMap('tasks').toJSON()).toEqual(a.getMap('tasks').toJSON())
    // restoring what was stored gives the whole ledger
    const restored = new Y.Doc()
    for (const u of stored) Y.applyUpdate(restored, u)
    expect(restored.getMap('tasks').toJSON()).toEqual(a.getMap('tasks').toJSON())
    // and a duplicate of a part that was pending is still not stored twice
    expect(applyWithoutListener(b, updates[2]!, REMOTE, listener).remote).toBeNull()
  })
})
