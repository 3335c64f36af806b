/** Shared setup for engine tests: real level DB, real file destination, a job for a generated tree. */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Level } from 'level'
import pLimit from 'p-limit'
import type { ItemRecord } from '../../protocol/items.ts'
import { DEFAULT_SETTINGS, type Settings } from '../../protocol/settings.ts'
import type { Destination } from '../../agent/engine/destination.ts'
import type { EngineDeps, EngineJob, EngineProgress, EngineCheckpoint } from '../../agent/engine/types.ts'
import { createItemStore, type ItemStore } from '../../agent/items/store.ts'

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix))
}

export async function openDb(dir: string): Promise<{ db: Level<string, string>; items: ItemStore; close: () => Promise<void> }> {
  const db = new Level<string, string>(path.join(dir, 'db'))
  await db.open()
  return { db, items: createItemStore(db), close: () => db.close() }
}

export function makeJob(sourceRoot: string, settings: Partial<Settings> = {}, round = 0, epoch = 1): EngineJob {
  return {
    taskId: 'task-engine-1',
    round,
    epoch,
    spec: {
      v: 1,
      id: 'task-engine-1',
      name: 'engine test',
      source: sourceRoot,
      destination: { url: 'file:///unused', library: 'Documents', folder: 'Migrated' },
      group: 'Default',
      settings: {},
      createdAt: new Date(0).toISOString(),
      createdBy: '12D3KooWAgentAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    },
    settings: { ...DEFAULT_SETTINGS, ...settings },
    sourceRoot,
    device: 'test-agent',
  }
}

export interface Recorded {
  progress: EngineProgress[]
  checkpoints: EngineCheckpoint[]
}

export function makeDeps(destination: Destination, items: ItemStore, over: Partial<EngineDeps> = {}): { deps: EngineDeps; rec: Recorded } {
  const rec: Recorded = { progress: [], checkpoints: [] }
  const controller = new AbortController()
  const noop = () => {}
  const deps: EngineDeps = {
    destination,
    items,
    limiter: pLimit(32),
    leaseHeld: () => true,
    onProgress: (p) => rec.progress.push(p),
    onCheckpoint: (c) => {
      rec.checkpoints.push(c)
    },
    signal: controller.signal,
    clock: () => Date.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(t)
          reject(signal.reason)
        }
        const t = setTimeout(() => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        }, ms)
        signal.addEventListener('abort', onAbort, { once: true })
      }),
    logger: { debug: noop, info: noop, warn: noop, error: noop },
    ...over,
  }
  return { deps, rec }
}

/** All records of a round, keyed by source path relative to the source root. */
export async function recordsByRel(items: ItemStore, job: EngineJob): Promise<Map<string, ItemRecord>> {
  const out = new Map<string, ItemRecord>()
  for await (const r of items.iterate(job.taskId, job.round)) {
    out.set(r.source.slice(job.spec.source.length + 1), r)
  }
  return out
}

/** Every file and folder under dir (relative, '/'-separated). */
export async function walk(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    out.push(path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
  }
  return out.sort()
}

export async function cleanup(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}
