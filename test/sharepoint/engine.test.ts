import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { makeShare, startHarness, type Harness } from './helpers.ts'
import { runTaskRound } from '../../agent/engine/index.ts'
import { makeDeps, makeJob, openDb, recordsByRel } from '../engine/helpers.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.stop()
})

describe('the engine (runTaskRound) with the SharePoint destination, end to end', () => {
  it('lands a share, reports what SharePoint cannot take, and a rerun sends only the changed files', async () => {
    const root = path.join(h.dir, 'share')
    await mkdir(root, { recursive: true })
    const files = await makeShare(root, 30)
    // a name too long for the 400-character URL rule
    const longName = `${'d'.repeat(200)}/${'n'.repeat(200)}.txt`
    await mkdir(path.join(root, 'd'.repeat(200)), { recursive: true })
    await writeFile(path.join(root, longName), 'too long')
    const db = await openDb(path.join(h.dir, 'engine-db'))
    try {
      const dest = h.destination({ folder: 'Engine' })
      await dest.open(AbortSignal.timeout(30_000))
      const job0 = makeJob(root, {}, 0)
      const { deps } = makeDeps(dest, db.items)
      const r0 = await runTaskRound(job0, deps)
      expect(r0.phase).toBe('completed')
      for (const f of files) {
        const url = `/sites/dev/Shared Documents/Engine/${f.rel}`
        expect((await h.emu.readFile(url))?.equals(f.bytes), url).toBe(true)
        expect(h.emu.meta(url)!.timeLastModified, url).toBe(f.mtimeMs)
      }
      const rec0 = await recordsByRel(db.items, job0)
      const long = rec0.get(longName)
      // the engine's path rule sees the full decoded URL (displayPath) and reports the item, never sends it
      expect(long?.status, JSON.stringify(long)).toMatch(/Failed|Skipped/)
      expect(long?.message ?? '').toMatch(/400|too long/i)
      expect(h.emu.stats.log.some((l) => l.path.includes('nnnnnnnnnn'))).toBe(false)

      // change two files, add one; the rest must not be sent again
      const changed = [files[3]!, files[10]!]
      for (const f of changed) {
        f.bytes = Buffer.concat([f.bytes, Buffer.from('changed')])
        f.mtimeMs += 3600_000
        await writeFile(path.join(root, f.rel), f.bytes)
        await utimes(path.join(root, f.rel), f.mtimeMs / 1000, f.mtimeMs / 1000)
      }
      await writeFile(path.join(root, 'new.txt'), 'new file')
      const uploadsBefore = h.emu.stats.uploads
      const logFrom = h.emu.stats.log.length
      const job1 = makeJob(root, {}, 1)
      const r1 = await runTaskRound(job1, makeDeps(dest, db.items).deps)
      expect(r1.phase).toBe('completed')
      const sent = h.emu.stats.log.slice(logFrom).filter((l) => l.kind === 'upload').map((l) => l.path)
      expect(h.emu.stats.uploads - uploadsBefore, sent.join('\n')).toBe(3)
      for (const f of changed) {
        const url = `/sites/dev/Shared Documents/Engine/${f.rel}`
        expect((await h.emu.readFile(url))?.equals(f.bytes)).toBe(true)
        expect(h.emu.meta(url)!.timeLastModified).toBe(f.mtimeMs)
      }
      expect(r1.counts.unchanged).toBeGreaterThanOrEqual(files.length - 2)
    } finally {
      await db.close()
    }
  }, 120_000)
})
