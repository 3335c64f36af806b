/** The engine honours the shared per-agent limiter, the per-task concurrency, and its cadences. */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFileDestination } from '../../agent/destinations/file.ts'
import { parseGetfattr } from '../../agent/engine/scan-cifs.ts'
import { runTaskRound } from '../../agent/engine/round.ts'
import { BATCH_FILES } from '../../agent/engine/copy-batch.ts'
import type { ItemStore } from '../../agent/items/store.ts'
import { SourceTree } from '../fixtures/source-tree.ts'
import { cleanup, makeDeps, makeJob, openDb, tempDir } from './helpers.ts'

let dir: string
let tree: SourceTree
let items: ItemStore
let closeDb: () => Promise<void>
beforeAll(async () => {
  dir = await tempDir('mmesh-deps-')
  tree = await SourceTree.create({ root: path.join(dir, 'share'), smallFiles: 200 })
  const db = await openDb(dir)
  items = db.items
  closeDb = db.close
})
afterAll(async () => {
  await closeDb?.()
  await cleanup(dir)
})

describe('engine dependencies', () => {
  it('never runs more copies than the agent limiter allows, and checkpoints on its cadence', async () => {
    const destRoot = path.join(dir, 'dest')
    await mkdir(destRoot)
    let active = 0
    let peak = 0
    let calls = 0
    const limiter = async <T,>(fn: () => Promise<T>): Promise<T> => {
      // A two-slot limiter shared with "other tasks": the engine must go through it for every copy.
      while (active >= 2) await new Promise((r) => setTimeout(r, 1))
      active++
      calls++
      peak = Math.max(peak, active)
      try {
        return await fn()
      } finally {
        active--
      }
    }
    let now = 0
    // Every file is written from inside a limiter slot, alone or in a batch of small files.
    const real = createFileDestination({ rootDir: destRoot, library: null, folder: null })
    let filesPut = 0
    let putOutsideSlot = 0
    const watched = Object.assign(Object.create(real) as typeof real, {
      putFile: (...a: Parameters<typeof real.putFile>) => {
        filesPut++
        if (active === 0) putOutsideSlot++
        return real.putFile(...a)
      },
      putFiles: (...a: Parameters<typeof real.putFiles>) => {
        filesPut += a[0].length
        if (active === 0) putOutsideSlot++
        return real.putFiles(...a)
      },
    })
    const { deps, rec } = makeDeps(watched, items, {
      limiter,
      // Each clock read advances 10 ms: checkpoints every 500 ms of engine time come out deterministically.
      clock: () => (now += 10),
      tuning: { checkpointIntervalMs: 500, progressIntervalMs: 100, taskConcurrency: 8 },
    })
    const result = await runTaskRound({ ...makeJob(tree.root), taskId: 'task-deps' }, deps)
    expect(result.phase).toBe('completed')
    expect(peak).toBe(2)
    const files = [...tree.items.values()].filter((i) => !i.isFolder).length
    let copied = 0
    for await (const r of items.iterate('task-deps', 0)) if (!r.isFolder && r.status === 'Migrated') copied++
    expect(copied).toBeGreaterThan(files / 2)
    expect(filesPut).toBe(copied)
    expect(putOutsideSlot).toBe(0)
    // Small files go in batches of up to BATCH_FILES, one slot each, never across folders.
    expect(calls).toBeGreaterThanOrEqual(Math.ceil(files / BATCH_FILES))
    expect(calls).toBeLessThan(files)
    expect(rec.checkpoints.length).toBeGreaterThan(2)
    for (let i = 1; i < rec.checkpoints.length; i++) expect(rec.checkpoints[i]!.counts.scanned).toBeGreaterThanOrEqual(rec.checkpoints[i - 1]!.counts.scanned)
    // progress is throttled: far fewer reports than items
    expect(rec.progress.length).toBeLessThan(tree.items.size / 2)
  })

  it('stops with aborted/cancelled when the signal aborts, leaving no temp files', async () => {
    const destRoot = path.join(dir, 'dest-abort')
    await mkdir(destRoot)
    const controller = new AbortController()
    let seen = 0
    const { deps } = makeDeps(createFileDestination({ rootDir: destRoot, library: null, folder: null }), items, {
      signal: controller.signal,
      tuning: { progressIntervalMs: 0 },
      onProgress: (p) => {
        if (++seen === 20 || p.counts.migrated > 30) controller.abort()
      },
    })
    const result = await runTaskRound({ ...makeJob(tree.root), taskId: 'task-abort' }, deps)
    expect(result.phase).toBe('aborted')
    expect(result.abortReason).toBe('cancelled')
    const files = [...tree.items.values()].filter((i) => !i.isFolder).length
    expect(result.counts.migrated).toBeLessThan(files)
    const { readdir } = await import('node:fs/promises')
    const all = await readdir(destRoot, { recursive: true })
    expect(all.filter((n) => String(n).includes('.mmesh-tmp-'))).toEqual([])
  })

  it('parses getfattr output for the CIFS attributes', () => {
    const text = '# file: /mnt/s/a.txt\nuser.cifs.dosattrib=0x22000000\n\n# file: /mnt/s/b.txt\nuser.cifs.dosattrib=0x20000000\n'
    const m = parseGetfattr(text)
    expect([...m.get('/mnt/s/a.txt')!]).toEqual([0x22, 0, 0, 0])
    expect(m.get('/mnt/s/b.txt')![0]! & 2).toBe(0)
  })
})
