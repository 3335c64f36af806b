/**
 * The generated share lands byte-identical with times preserved; every other item is in the item records
 * with its reason; a rerun copies exactly what changed; a temp file left by a killed run is cleaned up.
 * Size: MMESH_ENGINE_FILES small files (default 5000) and a MMESH_ENGINE_BIG_MB file (default 200).
 */
import { lstat, readdir, writeFile, utimes, unlink, readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFileDestination } from '../../agent/destinations/file.ts'
import { TempNames } from '../../agent/destinations/temp-names.ts'
import { runTaskRound } from '../../agent/engine/round.ts'
import type { ItemStore } from '../../agent/items/store.ts'
import { SourceTree, sha1File, type Expected } from '../fixtures/source-tree.ts'
import { cleanup, makeDeps, makeJob, openDb, recordsByRel, tempDir, walk } from './helpers.ts'

const SMALL = Number(process.env.MMESH_ENGINE_FILES ?? 5000)
const BIG = Number(process.env.MMESH_ENGINE_BIG_MB ?? 200) * 1024 * 1024

let dir: string
let tree: SourceTree
let items: ItemStore
let closeDb: () => Promise<void>
let destRoot: string

beforeAll(async () => {
  dir = await tempDir('mmesh-engine-')
  tree = await SourceTree.create({ root: path.join(dir, 'share'), smallFiles: SMALL, bigFileBytes: BIG, hugeSparse: true })
  const db = await openDb(dir)
  items = db.items
  closeDb = db.close
  destRoot = path.join(dir, 'dest')
  await import('node:fs/promises').then((fs) => fs.mkdir(destRoot))
}, 300_000)

afterAll(async () => {
  await closeDb?.()
  await cleanup(dir)
})

/** This agent's temp tag: its leftovers are its own to delete (TempNames). */
const AGENT = 'test-agent-a'

function destination() {
  return createFileDestination({ rootDir: destRoot, library: 'Documents', folder: 'Migrated', tempTag: AGENT })
}

async function checkLanded(expected: Map<string, Expected>, root: string) {
  let files = 0
  for (const [rel, e] of expected) {
    const it = tree.items.get(rel)!
    if (e.status !== 'Migrated') continue
    const at = path.join(root, ...e.destRel!.split('/'))
    const st = await lstat(at)
    if (it.isFolder) {
      expect(st.isDirectory(), rel).toBe(true)
      continue
    }
    files++
    expect(st.size, rel).toBe(it.size)
    expect(Math.abs(st.mtimeMs - it.mtimeMs), `mtime of ${rel}`).toBeLessThan(1)
    expect(await sha1File(at), `content of ${rel}`).toBe(it.sha1)
  }
  return files
}

describe('migrating a generated share into a file:// destination', () => {
  it('lands every item that should, byte-identical with times, and records every item with its reason', async () => {
    const dest = destination()
    const job = makeJob(tree.root)
    const { deps, rec } = makeDeps(dest, items)
    const result = await runTaskRound(job, deps)
    expect(result.phase).toBe('completed')

    const expected = tree.expected(job.settings, dest.root)
    const files = await checkLanded(expected, dest.root)
    expect(files).toBeGreaterThan(SMALL)

    // Nothing lands that should not: the destination holds exactly the expected paths.
    const landed = new Set([...expected.values()].filter((e) => e.status === 'Migrated').map((e) => e.destRel!))
    const onDisk = await walk(dest.root)
    expect(onDisk.filter((p) => !landed.has(p))).toEqual([])
    expect(onDisk.some((p) => path.posix.basename(p).startsWith('.mmesh-tmp-'))).toBe(false)

    const records = await recordsByRel(items, job)
    expect(records.size).toBe(tree.items.size)
    const mismatches: string[] = []
    for (const [rel, e] of expected) {
      const r = records.get(rel)
      if (!r || r.status !== e.status || r.resultCategory !== e.category) mismatches.push(`${rel}: expected ${e.status}/${e.category}, got ${r?.status}/${r?.resultCategory} ${r?.message}`)
      else if (e.status !== 'Migrated' && r.message === '') mismatches.push(`${rel}: no message`)
    }
    expect(mismatches).toEqual([])
    // Every category of rule is exercised by the tree.
    const categories = new Set([...expected.values()].map((e) => e.category))
    for (const c of ['Success', 'Reserved name', 'Path too long', 'File too large', 'Name collision', 'Parent folder not migrated']) expect(categories).toContain(c)

    const values = [...expected.values()]
    const migrated = values.filter((e) => e.status === 'Migrated').length
    const skipped = values.filter((e) => e.status === 'Skipped').length
    const failed = values.filter((e) => e.status === 'Failed').length
    expect(result.counts).toEqual({ scanned: tree.items.size, toMigrate: migrated + failed, migrated, unchanged: 0, skipped, failed })
    expect(rec.progress.length).toBeGreaterThan(0)
    expect(rec.progress.at(-1)!.counts).toEqual(result.counts)
  }, 600_000)

  it('reruns incrementally: copies exactly the 10 changed and 5 added, keeps the 3 deleted, leaves a newer destination file alone', async () => {
    const dest = destination()
    const expected0 = tree.expected(makeJob(tree.root).settings, dest.root)
    // An admin edits one migrated file at the destination: it is now newer than its source.
    const plainFiles = [...tree.items.values()].filter((i) => !i.isFolder && i.rel.startsWith('plain/')).map((i) => i.rel).sort()
    const edited = plainFiles.at(-1)!
    const editedAt = path.join(dest.root, ...expected0.get(edited)!.destRel!.split('/'))
    await writeFile(editedAt, 'edited at the destination')
    const mutation = await tree.mutate({ avoid: [edited] })
    const deletedAt = mutation.deleted.map((rel) => path.join(dest.root, ...expected0.get(rel)!.destRel!.split('/')))

    const job = makeJob(tree.root, {}, 1)
    const { deps } = makeDeps(dest, items)
    const result = await runTaskRound(job, deps)
    expect(result.phase).toBe('completed')

    const records = await recordsByRel(items, job)
    const copied = [...records.entries()].filter(([, r]) => r.status === 'Migrated').map(([rel]) => rel).sort()
    expect(copied).toEqual([...mutation.changed, ...mutation.added].sort())
    expect(records.get(edited)).toMatchObject({ status: 'Skipped', resultCategory: 'Destination newer' })
    expect(records.get(edited)!.message).toMatch(/destination is newer/)
    expect(await readFile(editedAt, 'utf8')).toBe('edited at the destination')
    for (const at of deletedAt) expect((await lstat(at)).isFile()).toBe(true)

    const expected1 = tree.expected(job.settings, dest.root)
    expected1.delete(edited)
    expect(await checkLanded(expected1, dest.root)).toBeGreaterThan(0)
    expect(result.counts.migrated).toBe(15)
    expect(result.counts.scanned).toBe(result.counts.toMigrate + result.counts.skipped)
    expect(result.counts.toMigrate).toBe(result.counts.migrated + result.counts.unchanged + result.counts.failed)
  }, 600_000)

  it('after a kill -9, deletes its own temp leftover (only its own) and copies the file that never reached its final name', async () => {
    const dest = destination()
    const expected = tree.expected(makeJob(tree.root).settings, dest.root)
    const victim = [...tree.items.values()].find((i) => !i.isFolder && i.rel.startsWith('plain/batch-000/file-'))!
    const at = path.join(dest.root, ...expected.get(victim.rel)!.destRel!.split('/'))
    const folder = path.dirname(at)
    // What a kill -9 mid-copy leaves: the final name absent, a fresh half-written temp beside it, named
    // as this agent names them (a destination of an earlier process, now gone).
    await unlink(at)
    const earlier = new TempNames(AGENT)
    earlier.release()
    const leftover = path.join(folder, `${earlier.prefix}0a1b2c-7`)
    await writeFile(leftover, 'half of it')
    await utimes(leftover, new Date(), new Date())
    // Not ours: another agent's temp file (of another task) in flight in the same folder, a user's file
    // that looks like a temp file, and an old-style name. All stay, untouched.
    const other = new TempNames('test-agent-b', 'another-task')
    other.release()
    const foreign = [`${other.prefix}9f8e7d-3`, '.mmesh-tmp-deadbeefdeadbeef', '.mmesh-tmp-notes.txt']
    for (const n of foreign) await writeFile(path.join(folder, n), `not ours: ${n}`)

    const job = makeJob(tree.root, {}, 2)
    const { deps } = makeDeps(dest, items)
    const result = await runTaskRound(job, deps)
    expect(result.phase).toBe('completed')
    expect(result.counts.migrated).toBe(1)
    expect(await sha1File(at)).toBe(victim.sha1)
    const left = (await readdir(folder)).filter((n) => n.startsWith('.mmesh-tmp-')).sort()
    expect(left).toEqual([...foreign].sort())
    for (const n of foreign) expect(await readFile(path.join(folder, n), 'utf8')).toBe(`not ours: ${n}`)
    for (const n of foreign) await unlink(path.join(folder, n))
  }, 600_000)

  it("after a takeover, deletes the previous holder's leftovers of this task, not its files of other tasks", async () => {
    const job = makeJob(tree.root, {}, 3)
    const dest = createFileDestination({ rootDir: destRoot, library: 'Documents', folder: 'Migrated', tempTag: AGENT, taskId: job.taskId })
    const folder = path.join(dest.root, 'plain')
    const died = new TempNames('test-agent-b', job.taskId)
    const busy = new TempNames('test-agent-b', 'another-task')
    died.release()
    busy.release()
    await writeFile(path.join(folder, `${died.prefix}aaaaaa-1`), 'left by the holder that died')
    await writeFile(path.join(folder, `${busy.prefix}bbbbbb-1`), 'in flight for another task')
    const { deps } = makeDeps(dest, items)
    const result = await runTaskRound(job, deps)
    expect(result.phase).toBe('completed')
    expect((await readdir(folder)).filter((n) => n.startsWith('.mmesh-tmp-'))).toEqual([`${busy.prefix}bbbbbb-1`])
    await unlink(path.join(folder, `${busy.prefix}bbbbbb-1`))
  }, 600_000)
})
