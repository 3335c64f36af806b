import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { LedgerStore, openRootDb } from './store.ts'
import { CliError } from '../../api/errors.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-store-'))
  dirs.push(d)
  return d
}

describe('LedgerStore', () => {
  it('restores exactly what was appended, across compaction, in a fresh process-like reopen', async () => {
    const dir = tmp()
    const loc = path.join(dir, 'db')
    const db = await openRootDb(loc, dir)
    const store = new LedgerStore(db)
    const doc = new Y.Doc()
    doc.on('update', (u: Uint8Array) => void store.append(u))
    const m = doc.getMap('tasks')
    for (let i = 0; i < 50; i++) m.set(`k${i}`, { i })
    await store.flushed()
    await store.compact(doc)
    for (let i = 50; i < 60; i++) m.set(`k${i}`, { i })
    m.delete('k3')
    await store.flushed()
    expect(store.pendingCount).toBe(11)
    await db.close()

    const db2 = await openRootDb(loc, dir)
    const restored = await new LedgerStore(db2).load(loc)
    const doc2 = new Y.Doc()
    Y.applyUpdate(doc2, restored!)
    expect(doc2.getMap('tasks').toJSON()).toEqual(doc.getMap('tasks').toJSON())
    expect(doc2.getMap('tasks').has('k3')).toBe(false)
    expect(Buffer.from(Y.encodeStateVector(doc2))).toEqual(Buffer.from(Y.encodeStateVector(doc)))
    await db2.close()
  })

  it('compaction merges what was appended in groups, and snapshots the document once enough was stored', async () => {
    const dir = tmp()
    const loc = path.join(dir, 'db')
    const db = await openRootDb(loc, dir)
    const store = new LedgerStore(db, { mergeGroupBytes: 2048, fullSnapshotMinBytes: 64 * 1024 })
    const sub = db.sublevel<string, Uint8Array>('ledger', { valueEncoding: 'view' })
    const stored = async () => {
      const keys: string[] = []
      let bytes = 0
      for await (const [k, v] of sub.iterator()) {
        keys.push(k)
        bytes += v.byteLength
      }
      return { keys, bytes }
    }
    const doc = new Y.Doc()
    doc.on('update', (u: Uint8Array) => void store.append(u))
    const m = doc.getMap('tasks')
    for (let i = 0; i < 200; i++) m.set(`k${i}`, { i, pad: 'x'.repeat(40) })
    await store.flushed()
    const before = await stored()
    expect(before.keys).toHaveLength(200)
    await store.compact(doc)
    const merged = await stored()
    // ~60 bytes an update: groups of ~2 KB, no snapshot yet (far below 64 KB stored)
    expect(merged.keys.length).toBeGreaterThan(3)
    expect(merged.keys.length).toBeLessThan(20)
    expect(merged.keys).not.toContain('s')
    expect(store.pendingCount).toBe(0)
    // the merged groups are not merged again, and an update of a quarter of a group or more (a part of
    // a push or a sync) is kept as it is: a large one and a small one after them, two more keys
    doc.transact(() => {
      for (let i = 0; i < 12; i++) m.set(`big${i}`, { i, pad: 'z'.repeat(40) })
    })
    m.set('extra', 1)
    await store.flushed()
    const sizes: number[] = []
    for await (const [k, v] of sub.iterator()) if (!merged.keys.includes(k)) sizes.push(v.byteLength)
    expect(sizes[0]).toBeGreaterThanOrEqual(512) // a quarter of the 2 KB group
    expect(sizes[0]! + sizes[1]!).toBeLessThan(2048) // would fit one group
    await store.compact(doc)
    expect((await stored()).keys).toHaveLength(merged.keys.length + 2)

    // overwriting the same keys until 64 KB were stored: one snapshot, smaller than what it replaced
    for (let r = 0; r < 8; r++) for (let i = 0; i < 200; i++) m.set(`k${i}`, { i, r, pad: 'y'.repeat(40) })
    await store.flushed()
    const grown = await stored()
    expect(grown.bytes).toBeGreaterThan(64 * 1024)
    await store.compact(doc)
    const snap = await stored()
    expect(snap.keys).toEqual(['s'])
    expect(snap.bytes).toBeLessThan(grown.bytes / 4)
    await db.close()

    const db2 = await openRootDb(loc, dir)
    const doc2 = new Y.Doc()
    Y.applyUpdate(doc2, (await new LedgerStore(db2).load(loc))!)
    expect(doc2.getMap('tasks').toJSON()).toEqual(doc.getMap('tasks').toJSON())
    await db2.close()
  })

  it('a second open of the same database is refused with exit 2', async () => {
    const dir = tmp()
    const loc = path.join(dir, 'db')
    const db = await openRootDb(loc, dir)
    const err = await openRootDb(loc, dir).catch((e) => e)
    expect(err).toBeInstanceOf(CliError)
    expect(err.exitCode).toBe(2)
    await db.close()
  })

  it('a corrupt database gives exit 2 and names the fix', async () => {
    const dir = tmp()
    const loc = path.join(dir, 'db')
    const db = await openRootDb(loc, dir)
    await db.sublevel<string, Uint8Array>('ledger', { valueEncoding: 'view' }).put('u0000000000000000', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 9, 9]))
    await db.close()
    const db2 = await openRootDb(loc, dir)
    const err = await new LedgerStore(db2).load(loc).catch((e) => e)
    expect(err).toBeInstanceOf(CliError)
    expect(err.exitCode).toBe(2)
    expect(err.message).toMatch(/mv .*db .*db\.bad/)
    await db2.close()
  })
})
