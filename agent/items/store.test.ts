import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Level } from 'level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ItemRecord } from '../../protocol/items.ts'
import { createItemStore } from './store.ts'

let dir: string
let db: Level<string, string>
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mmesh-items-'))
  db = new Level(path.join(dir, 'db'))
  await db.open()
})
afterAll(async () => {
  await db.close()
  await rm(dir, { recursive: true, force: true })
})

function rec(taskId: string, round: number, source: string, status: ItemRecord['status'] = 'Migrated'): ItemRecord {
  return {
    taskId, round, source, destination: `/d/${source}`, name: path.basename(source), extension: '', size: 1, isFolder: false,
    status, resultCategory: 'Success', message: '', errorCode: '', device: 'dev', at: new Date(0).toISOString(), readiness: 'ready',
  }
}

describe('item store', () => {
  it('stores, orders, counts, pages, exports and deletes by task and round', async () => {
    const store = createItemStore(db)
    const names = ['b/z', 'a', 'b', 'b/a', 'é', 'A']
    await store.putBatch(names.map((n) => rec('task1', 0, n)))
    await store.putBatch([rec('task1', 1, 'x', 'Unchanged'), rec('task1', 10, 'y'), rec('task2', 0, 'a'), rec('task10', 0, 'q')])
    await store.putBatch([rec('task1', 0, 'a', 'Failed')]) // replaces

    const got: string[] = []
    for await (const r of store.iterate('task1', 0)) got.push(r.source)
    expect(got).toEqual([...names].sort())
    expect((await store.count('task1', 0)).byStatus).toMatchObject({ Migrated: 5, Failed: 1 })
    expect(await store.rounds('task1')).toEqual([0, 1, 10])
    expect(await store.rounds('task10')).toEqual([0])
    expect((await store.get('task1', 0, 'a'))?.status).toBe('Failed')
    expect(await store.get('task1', 0, 'nope')).toBeNull()
    expect((await store.getMany('task1', 0, ['b', 'nope'])).map((r) => r?.source ?? null)).toEqual(['b', null])

    const page: string[] = []
    for await (const r of store.iterate('task1', 0, { after: 'a', limit: 2 })) page.push(r.source)
    expect(page).toEqual(['b', 'b/a'])

    const batches: number[] = []
    for await (const b of store.exportBatches('task1', 0, 4)) batches.push(b.length)
    expect(batches).toEqual([4, 2])

    const other = createItemStore(db, { sublevel: 'replica' })
    for await (const b of store.exportBatches('task1', 0, 4)) await other.importBatch(b)
    expect((await other.count('task1', 0)).total).toBe(6)
    await expect(other.importBatch([{ taskId: 'x' }])).rejects.toThrow(/malformed/)

    await store.deleteRound('task1', 0)
    expect(await store.hasRound('task1', 0)).toBe(false)
    expect(await store.hasRound('task1', 1)).toBe(true)
    expect(await store.hasRound('task2', 0)).toBe(true)
  })
})
