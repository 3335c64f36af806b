/**
 * Large files through upload sessions when chunks fail (issue 17, "Large files"): the real destination,
 * real @pnp/sp and msal-node against the emulator, with dropped chunk requests (cut mid-body, reset
 * after the server took them, 503 with nothing kept), lost sessions and corrupted commits. What the
 * emulator received is counted there (stats.uploadBodyBytes), not by the client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { makeShare, pushShare, sourceOf, startHarness, type GenFile, type Harness } from './helpers.ts'
import { DestinationError } from '../../agent/engine/destination.ts'
import { runTaskRound } from '../../agent/engine/index.ts'
import { makeDeps, makeJob, openDb, recordsByRel } from '../engine/helpers.ts'
import type { RequestKind } from '../fixtures/sp-emulator/index.ts'

const CHUNK = 320 * 1024
const LIB = '/sites/dev/Shared Documents'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ seed: 17 })
})
afterAll(async () => {
  await h?.stop()
})

/** the emulator's counters now, to take differences over one step */
function snap() {
  const s = h.emu.stats
  return {
    body: s.uploadBodyBytes, sessions: s.uploadSessions, dropped: s.dropped, lost: s.sessionsLost, corrupted: s.corrupted,
    status: s.byKind.uploadStatus ?? 0, cancels: s.byKind.cancelUpload ?? 0, driveItem: s.byKind.driveItem ?? 0, uploads: s.uploads,
  }
}
function since(before: ReturnType<typeof snap>) {
  const now = snap()
  return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - before[k as keyof typeof before]])) as ReturnType<typeof snap>
}

async function share(name: string, count: number, size: (i: number) => number): Promise<{ root: string; files: GenFile[] }> {
  const root = path.join(h.dir, name)
  await mkdir(root, { recursive: true })
  return { root, files: await makeShare(root, count, { size, folders: 1 }) }
}

describe('large files: a failed chunk is resumed in its session, not restarted', () => {
  const cases: [RequestKind, 'cut' | 'reset' | 'busy'][] = []
  for (const kind of ['startUpload', 'continueUpload', 'finishUpload'] as const) for (const mode of ['cut', 'reset', 'busy'] as const) cases.push([kind, mode])

  it.each(cases)('a %s dropped (%s) lands the file whole in the one session', async (kind, mode) => {
    const { root, files } = await share(`drop-${kind}-${mode}`, 1, () => CHUNK * 4 + 777)
    const f = files[0]!
    const dest = h.destination({ folder: `Drops/${kind}-${mode}`, chunkSize: CHUNK })
    const signal = AbortSignal.timeout(60_000)
    await dest.open(signal)
    const before = snap()
    // the finish carries the last (short) piece; the start and continues a whole chunk
    h.emu.setFaults({ dropNext: { kind, count: 1 }, dropMode: mode })
    const res = await dest.putFile(f.rel, sourceOf(root, f), { signal, overwrite: false })
    h.emu.setFaults({})
    const d = since(before)
    const url = `${LIB}/Drops/${kind}-${mode}/${f.rel}`
    expect((await h.emu.readFile(url))!.equals(f.bytes)).toBe(true)
    expect(h.emu.meta(url)!.timeLastModified).toBe(f.mtimeMs)
    expect(d.dropped).toBe(1)
    expect(d.sessions).toBe(1) // not restarted
    expect(d.cancels).toBe(0)
    expect(d.uploads).toBe(1)
    // a cut or reset request leaves the client not knowing what arrived: it asks the session; a 503 says
    // nothing was kept, so the transport sends the same chunk again without asking
    expect(d.status).toBe(mode === 'busy' ? 0 : 1)
    // what the session had taken is never sent again: after a reset (taken whole) or a cut chunk of a
    // running session (its first part kept) exactly the file's bytes arrive; a 503, or a cut before the
    // session existed, costs that one request's bytes again, never the file
    if (mode === 'reset' || (mode === 'cut' && kind !== 'startUpload')) expect(d.body).toBe(f.bytes.length)
    else {
      expect(d.body).toBeGreaterThan(f.bytes.length)
      expect(d.body).toBeLessThanOrEqual(f.bytes.length + CHUNK)
    }
    // checked against what the service reports for the stored file
    expect(d.driveItem).toBe(1)
    expect(res).toMatchObject({ size: f.bytes.length, hashAlgorithm: 'QuickXorHash' })
  })

  it('many dropped requests of every kind (10 %, cut, reset and 503 mixed): every file whole, one session each, ≤ 1.3× the bytes', { timeout: 120_000 }, async () => {
    const { root, files } = await share('mixed', 6, (i) => CHUNK * (5 + i) + 1000 * i + 1)
    const total = files.reduce((n, f) => n + f.bytes.length, 0)
    const dest = h.destination({ folder: 'Mixed', chunkSize: CHUNK })
    const signal = AbortSignal.timeout(110_000)
    await dest.open(signal)
    const before = snap()
    h.emu.setFaults({ dropRate: 0.1, dropMode: 'mixed' })
    const { failed } = await pushShare(dest, root, files, 3, signal)
    h.emu.setFaults({})
    const d = since(before)
    expect(failed).toEqual([])
    for (const f of files) expect((await h.emu.readFile(`${LIB}/Mixed/${f.rel}`))!.equals(f.bytes), f.rel).toBe(true)
    expect(d.dropped).toBeGreaterThanOrEqual(3)
    expect(d.sessions).toBe(files.length)
    expect(d.body).toBeLessThanOrEqual(1.3 * total)
  })
})

describe('large files: a lost session restarts the file once', () => {
  it('a session SharePoint lost is replaced by a new one and the file lands', async () => {
    const { root, files } = await share('lost1', 1, () => CHUNK * 4 + 99)
    const f = files[0]!
    const dest = h.destination({ folder: 'Lost', chunkSize: CHUNK })
    const signal = AbortSignal.timeout(60_000)
    await dest.open(signal)
    const before = snap()
    h.emu.setFaults({ loseSessionNext: 1 })
    await dest.putFile(f.rel, sourceOf(root, f), { signal, overwrite: false })
    h.emu.setFaults({})
    const d = since(before)
    expect((await h.emu.readFile(`${LIB}/Lost/${f.rel}`))!.equals(f.bytes)).toBe(true)
    expect(d.lost).toBe(1)
    expect(d.sessions).toBe(2)
    expect(d.uploads).toBe(1)
  })

  it('a second lost session fails the item, leaves no stub, and does not start a third', async () => {
    const { root, files } = await share('lost2', 1, () => CHUNK * 3 + 5)
    const f = files[0]!
    const dest = h.destination({ folder: 'Lost2', chunkSize: CHUNK })
    const signal = AbortSignal.timeout(60_000)
    await dest.open(signal)
    const before = snap()
    h.emu.setFaults({ loseSessionNext: 2 })
    const err = await dest.putFile(f.rel, sourceOf(root, f), { signal, overwrite: false }).then(() => null, (e: unknown) => e)
    h.emu.setFaults({})
    const d = since(before)
    expect(err).toBeInstanceOf(DestinationError)
    expect((err as DestinationError).code).toBe('UPLOAD_SESSION_LOST')
    expect((err as DestinationError).message).toContain(`${LIB}/Lost2/${f.rel}`)
    expect(d.sessions).toBe(2)
    expect(d.lost).toBe(2)
    expect(h.emu.meta(`${LIB}/Lost2/${f.rel}`)).toBeUndefined()
  })
})

describe('large files: the stored file is checked against what was sent', () => {
  it('a stored file whose QuickXorHash differs is a failed item with the reason, removed, not restarted', async () => {
    const { root, files } = await share('corrupt', 1, () => CHUNK * 3 + 4321)
    const f = files[0]!
    const dest = h.destination({ folder: 'Corrupt', chunkSize: CHUNK })
    const signal = AbortSignal.timeout(60_000)
    await dest.open(signal)
    const before = snap()
    h.emu.setFaults({ corruptNext: 1 })
    const err = await dest.putFile(f.rel, sourceOf(root, f), { signal, overwrite: false }).then(() => null, (e: unknown) => e)
    h.emu.setFaults({})
    const d = since(before)
    expect(d.corrupted).toBe(1)
    expect(err).toBeInstanceOf(DestinationError)
    const de = err as DestinationError
    expect(de.code).toBe('DEST_HASH_MISMATCH')
    expect(de.scope).toBe('item')
    expect(de.retryable).toBe(false)
    expect(de.message).toMatch(/other content .*QuickXorHash/)
    expect(de.message).toContain(`${LIB}/Corrupt/${f.rel}`)
    expect(d.sessions).toBe(1)
    expect(h.emu.meta(`${LIB}/Corrupt/${f.rel}`)).toBeUndefined()
    // the next run copies it again, and then it is whole
    await dest.putFile(f.rel, sourceOf(root, f), { signal, overwrite: false })
    expect((await h.emu.readFile(`${LIB}/Corrupt/${f.rel}`))!.equals(f.bytes)).toBe(true)
  })

  it('through the engine: the corrupted file is the one Failed item of the round, with the reason; the rerun copies it', { timeout: 120_000 }, async () => {
    const { root, files } = await share('engine', 4, (i) => CHUNK * (3 + i) + 17)
    const db = await openDb(path.join(h.dir, 'engine-db'))
    try {
      const dest = h.destination({ folder: 'EngineChunks', chunkSize: CHUNK })
      await dest.open(AbortSignal.timeout(30_000))
      const before = snap()
      // dropped chunks all round, and one commit stored wrong
      h.emu.setFaults({ dropRate: 0.1, dropMode: 'mixed', corruptNext: 1, only: ['startUpload', 'continueUpload', 'finishUpload'] })
      const job0 = makeJob(root, {}, 0)
      const r0 = await runTaskRound(job0, makeDeps(dest, db.items).deps)
      h.emu.setFaults({})
      const d = since(before)
      expect(r0.phase).toBe('completed')
      expect(d.corrupted).toBe(1)
      expect(r0.counts.failed).toBe(1)
      expect(r0.counts.migrated).toBe(files.length - 1)
      const failed = [...(await recordsByRel(db.items, job0)).values()].filter((r) => r.status === 'Failed')
      expect(failed).toHaveLength(1)
      expect(failed[0]!.errorCode).toBe('DEST_HASH_MISMATCH')
      expect(failed[0]!.message).toMatch(/other content .*QuickXorHash/)
      // no file was restarted for a dropped chunk; the engine did not try the corrupted one again
      expect(d.sessions).toBe(files.length)
      const r1 = await runTaskRound(makeJob(root, {}, 1), makeDeps(dest, db.items).deps)
      expect(r1.counts.failed).toBe(0)
      for (const f of files) expect((await h.emu.readFile(`${LIB}/EngineChunks/${f.rel}`))!.equals(f.bytes), f.rel).toBe(true)
    } finally {
      await db.close()
    }
  })
})
