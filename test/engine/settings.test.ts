/** Each setting alone and combined lets through exactly the items the fixture says; scan-only copies nothing. */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFileDestination } from '../../agent/destinations/file.ts'
import { runTaskRound } from '../../agent/engine/round.ts'
import type { ItemStore } from '../../agent/items/store.ts'
import type { Settings } from '../../protocol/settings.ts'
import { SourceTree, sha1File } from '../fixtures/source-tree.ts'
import { cleanup, makeDeps, makeJob, openDb, recordsByRel, tempDir, walk } from './helpers.ts'

let dir: string
let tree: SourceTree
let items: ItemStore
let closeDb: () => Promise<void>
let n = 0

beforeAll(async () => {
  dir = await tempDir('mmesh-settings-')
  tree = await SourceTree.create({ root: path.join(dir, 'share'), smallFiles: 40, bigFileBytes: 3 * 1024 * 1024 })
  const db = await openDb(dir)
  items = db.items
  closeDb = db.close
}, 120_000)
afterAll(async () => {
  await closeDb?.()
  await cleanup(dir)
})

const tomorrow = new Date(Date.now() + 86_400_000).toISOString()
const longAgo = '2000-01-01T00:00:00.000Z'

const CASES: Array<[string, Partial<Settings>]> = [
  ['defaults', {}],
  ['MigrateHiddenItems off', { MigrateHiddenItems: false }],
  ['MigrateItemsModifiedAfter 2020-01-01', { MigrateItemsModifiedAfter: '2020-01-01T00:00:00.000Z' }],
  ['MigrateItemsModifiedAfter inclusive at a file time', { MigrateItemsModifiedAfter: '2024-05-01T10:00:05.000Z' }],
  ['MigrateItemsCreatedAfter tomorrow', { MigrateItemsCreatedAfter: tomorrow }],
  ['MigrateItemsCreatedAfter 2000', { MigrateItemsCreatedAfter: longAgo }],
  ['SkipFilesWithExtensions txt:gz', { SkipFilesWithExtensions: ['txt', 'gz'] }],
  ['SkipFilesWithExtensions mp3:pdf', { SkipFilesWithExtensions: ['mp3', 'pdf'] }],
  ['invalid characters not migrated', { MigrateFilesAndFoldersWithInvalidChars: false }],
  [
    'all combined',
    { MigrateHiddenItems: false, MigrateItemsModifiedAfter: '2020-01-01T00:00:00.000Z', SkipFilesWithExtensions: ['docx'], MigrateFilesAndFoldersWithInvalidChars: false },
  ],
]

describe('settings filters through the engine', () => {
  it.each(CASES)('%s', async (_label, settings) => {
    const destRoot = path.join(dir, `dest-${n++}`)
    await mkdir(destRoot)
    const dest = createFileDestination({ rootDir: destRoot, library: 'Documents', folder: null })
    const job = { ...makeJob(tree.root, settings), taskId: `task-settings-${n}` }
    const { deps } = makeDeps(dest, items)
    const result = await runTaskRound(job, deps)
    expect(result.phase).toBe('completed')

    const expected = tree.expected(job.settings, dest.root)
    const records = await recordsByRel(items, job)
    const wrong: string[] = []
    for (const [rel, e] of expected) {
      const r = records.get(rel)
      if (r?.status !== e.status || r.resultCategory !== e.category) wrong.push(`${rel}: want ${e.status}/${e.category} got ${r?.status}/${r?.resultCategory}`)
    }
    expect(wrong).toEqual([])
    const landed = [...expected.values()].filter((e) => e.status === 'Migrated').map((e) => e.destRel!).sort()
    expect(await walk(dest.root)).toEqual(landed)
    for (const [rel, e] of expected) {
      const it = tree.items.get(rel)!
      if (e.status === 'Migrated' && !it.isFolder) expect(await sha1File(path.join(dest.root, e.destRel!)), rel).toBe(it.sha1)
    }
    // The case must discriminate: something is filtered unless the settings are the defaults.
    const filtered = [...expected.values()].filter((e) => e.category === 'Filtered out' || e.category === 'Invalid name').length
    if (Object.keys(settings).length > 0 && settings.MigrateItemsCreatedAfter !== longAgo) expect(filtered).toBeGreaterThan(0)
  })

  it('scan-only records every item as Scanned with its readiness and copies nothing', async () => {
    const destRoot = path.join(dir, 'dest-scan')
    await mkdir(destRoot)
    const dest = createFileDestination({ rootDir: destRoot, library: 'Documents', folder: null })
    const job = { ...makeJob(tree.root, { ScanOnly: true }), taskId: 'task-scan-only' }
    const { deps } = makeDeps(dest, items)
    const result = await runTaskRound(job, deps)
    expect(result.phase).toBe('completed')
    expect(await walk(destRoot)).toEqual([])
    const expected = tree.expected(job.settings, dest.root)
    const records = await recordsByRel(items, job)
    expect(records.size).toBe(tree.items.size)
    for (const [rel, e] of expected) {
      const r = records.get(rel)!
      expect(r.status, rel).toBe('Scanned')
      const readiness = e.status === 'Migrated' ? (tree.items.get(rel)!.traits.replacedName ? 'warning' : 'ready') : e.category === 'Filtered out' ? 'ready' : 'error'
      expect(r.readiness, rel).toBe(readiness)
    }
    const skipped = [...expected.values()].filter((e) => e.status === 'Skipped').length
    expect(result.counts).toMatchObject({ scanned: tree.items.size, skipped, toMigrate: tree.items.size - skipped, migrated: 0 })

    // the assessment: counted from the same walk, checked against the fixture's manifest and the records
    const manifest = [...tree.items.values()]
    const longest = [...records.values()].reduce((a, r) => (r.destination.length > a.length ? r.destination : a), '')
    expect(longest.length).toBeGreaterThan(400) // the fixture's deep chain crosses SharePoint's limit
    const errors = [...records.values()].filter((r) => r.readiness === 'error').length
    expect(result.assessment).toMatchObject({
      round: 0,
      files: manifest.filter((i) => !i.isFolder).length,
      folders: manifest.filter((i) => i.isFolder).length,
      dataSize: manifest.filter((i) => !i.isFolder).reduce((n, i) => n + i.size, 0),
      maxPathLength: longest.length,
      maxPath: longest,
      errors,
      warnings: [...records.values()].filter((r) => r.readiness === 'warning').length,
      readiness: 'Errors',
      destinationCheck: { ok: true, message: `wrote and removed a test file in ${destRoot}` },
    })
    expect(result.assessment!.readinessReason).toBe(`${errors} items with errors; longest destination path is ${longest.length} characters (SharePoint allows 400)`)
    const years: Record<string, number> = {}
    for (const i of manifest) if (!i.isFolder) years[new Date(i.mtimeMs).getUTCFullYear()] = (years[new Date(i.mtimeMs).getUTCFullYear()] ?? 0) + 1
    expect(result.assessment!.modifiedYears).toEqual(years)
  })

  it('scan-only with a destination that cannot be written: the scan ends, readiness says why', async () => {
    const notAFolder = path.join(dir, 'dest-is-a-file')
    await writeFile(notAFolder, 'x')
    const dest = createFileDestination({ rootDir: notAFolder, library: 'Documents', folder: null })
    const job = { ...makeJob(tree.root, { ScanOnly: true }), taskId: 'task-scan-bad-dest' }
    const result = await runTaskRound(job, makeDeps(dest, items).deps)
    expect(result.phase).toBe('completed')
    expect(result.assessment).toMatchObject({ readiness: 'Errors', destinationCheck: { ok: false, message: `destination ${notAFolder} is not a folder: point the file:// URL at a folder` } })
    expect(result.assessment!.readinessReason).toMatch(new RegExp(`^destination check failed: destination ${notAFolder} is not a folder`))
  })
})
