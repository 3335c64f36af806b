/**
 * Reruns that cost almost nothing: the engine (runTaskRound) with the real @pnp/sp and msal-node clients
 * against the emulator. The destination reads the whole task root in one CAML query per 5,000 items at
 * the start of a pass (tree.ts), so an unchanged rerun sends the open requests and that query — counted
 * here at the emulator — and still finds a changed file and leaves a newer one alone; where SharePoint
 * refuses the query (list view threshold) it reads the library whole or lists folder by folder, with
 * the same outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { makeTree, startHarness, type GenFile, type Harness } from './helpers.ts'
import { runTaskRound } from '../../agent/engine/index.ts'
import type { SharePointDestinationOptions } from '../../agent/destinations/sharepoint/index.ts'
import { spPost } from '@pnp/sp'
import { body } from '@pnp/queryable'
import { List } from '@pnp/sp/lists/index.js'
import { makeDeps, makeJob, openDb, recordsByRel } from '../engine/helpers.ts'

const FOLDER = 'Rerun'
const NOT_REST = new Set(['openid', 'token', 'devicecode'])

let h: Harness
let db: Awaited<ReturnType<typeof openDb>>
let root: string
let files: GenFile[]
let folders: number
let round = 0

beforeAll(async () => {
  h = await startHarness()
  db = await openDb(path.join(h.dir, 'db'))
  root = path.join(h.dir, 'share')
  await mkdir(root, { recursive: true })
  ;({ files, folders } = await makeTree(root, 200))
  // another task's files in the same library: the library scan must leave them out
  const other = h.destination({ folder: 'Other' })
  await other.open(AbortSignal.timeout(30_000))
  await other.ensureFolder('x', AbortSignal.timeout(30_000))
  const first = await rerun({})
  expect(first.result.phase).toBe('completed')
  expect(first.result.counts, JSON.stringify(first.result.counts)).toMatchObject({ migrated: files.length + folders, failed: 0 })
}, 120_000)
afterAll(async () => {
  await db?.close()
  await h?.stop()
})

/** One round into FOLDER through a freshly opened destination (as the agent opens one per job). */
async function rerun(o: Partial<SharePointDestinationOptions>) {
  const dest = h.destination({ folder: FOLDER, ...o })
  const from = h.emu.stats.log.length
  const throttled0 = h.emu.stats.throttled
  const uploads0 = h.emu.stats.uploads
  const t0 = performance.now()
  const job = makeJob(root, {}, round++)
  const result = await runTaskRound(job, makeDeps(dest, db.items, { signal: AbortSignal.timeout(120_000) }).deps)
  const log = h.emu.stats.log.slice(from).filter((l) => !NOT_REST.has(l.kind))
  const kinds: Record<string, number> = {}
  for (const l of log) kinds[l.kind] = (kinds[l.kind] ?? 0) + 1
  return { result, job, rest: log.length, kinds, throttled: h.emu.stats.throttled - throttled0, uploads: h.emu.stats.uploads - uploads0, ms: performance.now() - t0 }
}

/** Folders the engine lists: those holding a file or a folder (the root included). */
function listedFolders(): number {
  const dirs = new Set(files.map((f) => path.posix.dirname(f.rel)))
  return new Set([...dirs, ...[...dirs].flatMap(parents)]).size
}

/** The folders above a folder path ('.' is the root). */
function parents(dir: string): string[] {
  const out: string[] = []
  for (let d = path.posix.dirname(dir); ; d = path.posix.dirname(d)) {
    out.push(d)
    if (d === '.') return out
  }
}

describe('an unchanged SharePoint rerun', () => {
  it('costs the open requests, one query per 500 items (one per 5,000 here) and one per throttle, under 15 % throttling', async () => {
    h.emu.setFaults({ throttleRate: 0.15, retryAfterSec: [1, 1] })
    try {
      const r = await rerun({})
      expect(r.result.phase).toBe('completed')
      expect(r.result.counts.unchanged).toBe(files.length + folders)
      expect(r.uploads).toBe(0)
      const items = files.length + folders
      // open: regional settings, time zone, the library; the task folder's creation (already there); the query
      expect(r.rest, JSON.stringify(r.kinds)).toBeLessThanOrEqual(Math.ceil(items / 500) + r.throttled + 4)
      expect(r.kinds.query).toBeGreaterThanOrEqual(1)
      expect(r.kinds.listFolder ?? 0).toBe(0)
      expect(h.emu.stats.earlyRetries).toBe(0)
    } finally {
      h.emu.setFaults({})
    }
  }, 120_000)

  it('falls back to folder-by-folder listings when SharePoint refuses the query, with the same outcome and no retries of the refusal', async () => {
    // the library (~330 items) is now over the threshold: the folder-scoped query and the
    // 5,000-row library scan are both refused with SPQueryThrottledException
    h.emu.setListViewThreshold(100)
    try {
      const r = await rerun({})
      expect(r.result.phase).toBe('completed')
      expect(r.result.counts.unchanged).toBe(files.length + folders)
      expect(r.uploads).toBe(0)
      expect(r.kinds.query, JSON.stringify(r.kinds)).toBe(2)
      // Files and Folders of every folder (the root included) that holds something to compare
      expect(r.kinds.listFolder).toBe(2 * listedFolders())
    } finally {
      h.emu.setListViewThreshold(5000)
    }
  }, 120_000)

  it('pages the folder-scoped query by the last ID seen when the tree is larger than a page', async () => {
    const r = await rerun({ treeLimits: { pageSize: 50 } })
    expect(r.result.phase).toBe('completed')
    expect(r.result.counts.unchanged).toBe(files.length + folders)
    expect(r.kinds.listFolder ?? 0).toBe(0)
    expect(r.kinds.query).toBe(Math.floor((files.length + folders) / 50) + 1)
  }, 120_000)

  it('reads a library over the threshold whole, in ID order and pages of the threshold, keeping only its own folder', async () => {
    h.emu.setListViewThreshold(100)
    try {
      const r = await rerun({ treeLimits: { threshold: 100, pageSize: 100 } })
      expect(r.result.phase).toBe('completed')
      expect(r.result.counts.unchanged).toBe(files.length + folders)
      expect(r.kinds.listFolder ?? 0).toBe(0)
      const libraryItems = files.length + folders + 3 // + Rerun, Other, Other/x (Fresh comes later)
      expect(r.kinds.query).toBe(Math.floor(libraryItems / 100) + 1)
    } finally {
      h.emu.setListViewThreshold(5000)
    }
  }, 120_000)

  it('a first run into a large library: an empty task folder costs one request, not a scan of the library', async () => {
    h.emu.setListViewThreshold(100)
    try {
      const dest = h.destination({ folder: 'Fresh', treeLimits: { threshold: 100, pageSize: 100 } })
      const signal = AbortSignal.timeout(30_000)
      await dest.open(signal)
      const before = { ...h.emu.stats.byKind }
      await dest.prefetch!('', signal)
      expect(await dest.list('', signal)).toEqual(new Map())
      const d = (k: 'query' | 'folderInfo' | 'listFolder') => (h.emu.stats.byKind[k] ?? 0) - (before[k] ?? 0)
      expect([d('query'), d('folderInfo'), d('listFolder')]).toEqual([0, 1, 0])
    } finally {
      h.emu.setListViewThreshold(5000)
    }
  }, 60_000)

  it('still copies a changed file and leaves a file newer at the destination alone', async () => {
    const changed = files[3]!
    changed.bytes = Buffer.concat([changed.bytes, Buffer.from('changed')])
    changed.mtimeMs += 3_600_000
    await writeFile(path.join(root, changed.rel), changed.bytes)
    await utimes(path.join(root, changed.rel), changed.mtimeMs / 1000, changed.mtimeMs / 1000)
    // someone edited this one at the destination after the migration
    const newer = files[7]!
    const meta = h.emu.meta(`/sites/dev/Shared Documents/${FOLDER}/${newer.rel}`)!
    meta.timeLastModified = Date.now()
    meta.editor = 'i:0#.f|membership|alice@contoso.com'
    const r = await rerun({})
    expect(r.result.phase).toBe('completed')
    expect(r.uploads).toBe(1)
    expect(r.kinds.listFolder ?? 0).toBe(0)
    const url = `/sites/dev/Shared Documents/${FOLDER}/${changed.rel}`
    expect((await h.emu.readFile(url))?.equals(changed.bytes)).toBe(true)
    expect(h.emu.meta(url)!.timeLastModified).toBe(changed.mtimeMs)
    const rec = await recordsByRel(db.items, r.job)
    expect(rec.get(changed.rel)?.status).toBe('Migrated')
    expect(rec.get(newer.rel)?.status).toBe('Skipped')
    expect(rec.get(newer.rel)?.message).toMatch(/destination is newer/)
    expect(r.result.counts.unchanged).toBe(files.length + folders - 2)
  }, 120_000)
})

describe('the recursive read over time, and the emulator holding the query to SharePoint\'s rules', () => {
  it('reads the tree again before answering once it is older than treeMaxAgeMs', async () => {
    const r = await rerun({ treeMaxAgeMs: 0 })
    expect(r.result.phase).toBe('completed')
    expect(r.uploads).toBe(0)
    expect(r.kinds.listFolder ?? 0).toBe(0)
    // the prefetch, then one read before each listing
    expect(r.kinds.query).toBe(1 + listedFolders())
  }, 120_000)

  it('refuses what SharePoint refuses: $select of a lookup without $expand, a folder-scoped RecursiveAll over the threshold; pages by p_ID', async () => {
    const dest = h.destination({ folder: FOLDER })
    await dest.open(AbortSignal.timeout(30_000))
    const list = dest.sp.web.lists.getByTitle('Documents')
    const view = (limit: number) => `<View Scope='RecursiveAll'><Query><OrderBy><FieldRef Name='ID'/></OrderBy></Query><RowLimit Paged='TRUE'>${limit}</RowLimit></View>`
    const ask = (select: string[], expand: string[], query: object) => spPost(List(list, 'getitems').select(...select).expand(...expand), body({ query })) as Promise<{ Id: number; FileRef: string }[]>
    await expect(ask(['Id', 'Editor/Name'], [], { ViewXml: view(10) })).rejects.toMatchObject({ status: 400 })
    await expect(ask(['Id', 'NoSuchField'], [], { ViewXml: view(10) })).rejects.toMatchObject({ status: 400 })
    // paging: pages of 100 by the last ID seen cover the library once, and never show the Forms folder
    const seen: number[] = []
    for (let after = 0; ;) {
      const page = await ask(['Id', 'FileRef'], [], { ViewXml: view(100), ...(after ? { ListItemCollectionPosition: { PagingInfo: `Paged=TRUE&p_ID=${after}` } } : {}) })
      seen.push(...page.map((x) => x.Id))
      expect(page.some((x) => /\/Forms$/.test(x.FileRef))).toBe(false)
      if (page.length < 100) break
      after = page[page.length - 1]!.Id
    }
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.length).toBe(files.length + folders + 4) // + Rerun, Other, Other/x, Fresh
    h.emu.setListViewThreshold(100)
    try {
      const folderUrl = `/sites/dev/Shared Documents/${FOLDER}/dept-0`
      const refused = await ask(['Id'], [], { ViewXml: view(10), FolderServerRelativeUrl: folderUrl }).catch((e: unknown) => e)
      expect(refused).toMatchObject({ status: 500 })
      expect(String((refused as Error).message)).toMatch(/SPQueryThrottledException/)
      // the unfiltered ID-ordered page is answered at any size; more rows than the threshold is not
      expect(await ask(['Id'], [], { ViewXml: view(100) })).toHaveLength(100)
      await expect(ask(['Id'], [], { ViewXml: view(101) })).rejects.toMatchObject({ status: 500 })
    } finally {
      h.emu.setListViewThreshold(5000)
    }
  }, 60_000)
})
