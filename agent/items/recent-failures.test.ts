import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Level } from 'level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ItemRecord } from '../../protocol/items.ts'
import { createItemStore, type ItemStore } from './store.ts'
import { recentFailures } from './recent-failures.ts'

let dir: string
let db: Level<string, string>
let store: ItemStore
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mmesh-failures-'))
  db = new Level(path.join(dir, 'db'))
  await db.open()
  store = createItemStore(db)
})
afterAll(async () => {
  await db.close()
  await rm(dir, { recursive: true, force: true })
})

function rec(rel: string, status: ItemRecord['status'], atMs: number, message = ''): ItemRecord {
  return {
    taskId: 'task1', round: 2, source: `/srv/share/${rel}`, destination: `/d/${rel}`, name: path.basename(rel), extension: '', size: 1,
    isFolder: false, status, resultCategory: '', message, errorCode: '', device: 'dev', at: new Date(atMs).toISOString(), readiness: 'ready',
  }
}

const task = (failed: number, round = 2) => ({ id: 'task1', round, source: '/srv/share', counts: { scanned: 0, toMigrate: 0, migrated: 0, unchanged: 0, skipped: 0, failed } })

describe('recent failures of a round', () => {
  it('lists the failed items of the round, newest first, by their path under the source', async () => {
    await store.putBatch([
      rec('a.txt', 'Migrated', 1),
      rec('b/old.txt', 'Failed', 1000, 'locked'),
      rec('c.txt', 'Skipped', 2),
      rec('d/new.txt', 'Failed', 3000, 'too long'),
      rec('e.txt', 'Failed', 2000, 'refused'),
    ])
    expect(await recentFailures(store, task(3))).toEqual([
      { item: 'd/new.txt', message: 'too long' },
      { item: 'e.txt', message: 'refused' },
      { item: 'b/old.txt', message: 'locked' },
    ])
    expect(await recentFailures(store, task(3), { keep: 1 })).toEqual([{ item: 'd/new.txt', message: 'too long' }])
  })

  it('answers null when nothing failed, when the round is not stored here, or past the scan bound', async () => {
    expect(await recentFailures(store, task(0))).toBeNull()
    expect(await recentFailures(store, task(3, 7))).toBeNull()
    // the first failure is the second record in key order: a bound of one record finds none
    expect(await recentFailures(store, task(3), { scan: 1 })).toBeNull()
    expect(await recentFailures(store, task(3), { scan: 2 })).toEqual([{ item: 'b/old.txt', message: 'locked' }])
  })
})
