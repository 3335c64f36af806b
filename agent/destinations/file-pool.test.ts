/**
 * The small-file pool and the file:// destination's batch path, against real files and real worker
 * threads: a batch lands every file byte for byte with its times and its own result, and one file's
 * failure stays its own.
 */
import { randomBytes } from 'node:crypto'
import { watch } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../protocol/classify.ts'
import { DestinationError } from '../engine/destination.ts'
import { createFileDestination } from './file.ts'
import { hex64, xxhashApi } from './file-hash.ts'
import { SmallFilePool } from './file-pool.ts'
import { TempNames } from './temp-names.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mmesh-pool-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Writes `n` files of different sizes (0 to 70 KB) with distinct old modified times. */
async function makeSources(sub: string, n: number): Promise<Array<{ src: string; name: string; data: Buffer; mtimeMs: number }>> {
  const root = path.join(dir, sub)
  await mkdir(root, { recursive: true })
  const out = []
  for (let i = 0; i < n; i++) {
    const data = randomBytes((i * 7919) % 70_000)
    const src = path.join(root, `f${i}.bin`)
    await writeFile(src, data)
    const when = new Date(Date.UTC(2020, 0, 1 + i, 12, 0, 0, 500))
    await utimes(src, when, when)
    out.push({ src, name: `f${i}.bin`, data, mtimeMs: (await stat(src)).mtimeMs })
  }
  return out
}

describe('SmallFilePool batches', () => {
  it('copies a batch of files in one message per worker, each byte-identical with its modified time and its own hash', async () => {
    const files = await makeSources('batch-src', 40)
    const out = path.join(dir, 'batch-out')
    await mkdir(out)
    const pool = new SmallFilePool(2)
    try {
      const results = await Promise.all(files.map((f) => pool.run({ src: f.src, final: path.join(out, f.name), size: f.data.length, mtimeMs: f.mtimeMs, overwrite: false, fsync: false })))
      // All 40 were started in one turn, into one folder: one worker, one message.
      expect(pool.batchesSent).toBe(1)
      const api = await xxhashApi()
      for (const [i, f] of files.entries()) {
        const r = results[i]!
        expect(r.ok, f.name).toBe(true)
        if (!r.ok) continue
        expect(r.size).toBe(f.data.length)
        expect(hex64(r.hash)).toBe(hex64(api.h64Raw(f.data)))
        const at = path.join(out, f.name)
        expect((await readFile(at)).equals(f.data), f.name).toBe(true)
        expect(Math.abs((await stat(at)).mtimeMs - f.mtimeMs)).toBeLessThan(1)
      }
      expect((await readdir(out)).filter((n) => n.startsWith('.mmesh-tmp-'))).toEqual([])
    } finally {
      await pool.close()
    }
  })

  it("hands a closed pool's idle workers to the next pool, whose files land under its own temporary names", async () => {
    const files = await makeSources('spare-src', 6)
    const first = new SmallFilePool(2, new TempNames('spare-a', 'task-a').prefix)
    first.warm()
    const ids = first.threadIds
    expect(ids).toHaveLength(2)
    await first.close()
    const names = new TempNames('spare-b', 'task-b')
    const second = new SmallFilePool(2, names.prefix)
    try {
      second.warm()
      expect([...second.threadIds].sort()).toEqual([...ids].sort())
      const out = path.join(dir, 'spare-out')
      await mkdir(out)
      // inotify names every file created in the folder: the temporary ones must carry this pool's prefix.
      const temps = new Set<string>()
      const watcher = watch(out, (_event, name) => {
        if (name && name.startsWith('.mmesh-tmp-')) temps.add(name)
      })
      try {
        const results = await second.runBatch(files.map((f) => ({ src: f.src, final: path.join(out, f.name), size: f.data.length, mtimeMs: f.mtimeMs, overwrite: false, fsync: false })))
        expect(results.every((r) => r.ok)).toBe(true)
        for (const f of files) expect((await readFile(path.join(out, f.name))).equals(f.data), f.name).toBe(true)
        for (let waited = 0; temps.size < files.length && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10))
      } finally {
        watcher.close()
      }
      expect(temps.size).toBe(files.length)
      for (const t of temps) expect(names.classify(t), t).toBe('live')
    } finally {
      await second.close()
    }
  })

  it('fails only the files that fail: missing source, changed size, existing target, refused lease', async () => {
    const files = await makeSources('mixed-src', 12)
    const out = path.join(dir, 'mixed-out')
    await mkdir(out)
    await writeFile(path.join(out, files[5]!.name), 'already here')
    await rm(files[2]!.src)
    const pool = new SmallFilePool(2)
    try {
      const results = await Promise.allSettled(
        files.map((f, i) =>
          pool.run(
            // File 8 is announced one byte short: it looks changed when read.
            { src: f.src, final: path.join(out, f.name), size: i === 8 ? f.data.length - 1 : f.data.length, mtimeMs: f.mtimeMs, overwrite: false, fsync: false },
            i === 10 ? { beforeCommit: () => { throw new Error('lease lost') } } : undefined,
          ),
        ),
      )
      const kinds = results.map((r) => (r.status === 'rejected' ? `rejected:${(r.reason as Error).message}` : r.value.ok ? 'ok' : r.value.kind))
      expect(kinds[2]).toBe('source')
      expect(kinds[5]).toBe('exists')
      expect(kinds[8]).toBe('changed')
      expect(kinds[10]).toBe('rejected:lease lost')
      for (const i of [0, 1, 3, 4, 6, 7, 9, 11]) {
        expect(kinds[i], files[i]!.name).toBe('ok')
        expect((await readFile(path.join(out, files[i]!.name))).equals(files[i]!.data)).toBe(true)
      }
      // Left alone, never written: the existing file, the refused one, the failed ones.
      expect(await readFile(path.join(out, files[5]!.name), 'utf8')).toBe('already here')
      const names = await readdir(out)
      for (const i of [2, 8, 10]) expect(names).not.toContain(files[i]!.name)
      expect(names.filter((n) => n.startsWith('.mmesh-tmp-'))).toEqual([])
    } finally {
      await pool.close()
    }
  })
})

describe('SmallFilePool.runBatch', () => {
  it('sends a batch as one message and answers one result per file, in order', async () => {
    const files = await makeSources('rb-src', 10)
    const out = path.join(dir, 'rb-out')
    await mkdir(out)
    await rm(files[4]!.src)
    const pool = new SmallFilePool(2)
    try {
      const results = await pool.runBatch(files.map((f) => ({ src: f.src, final: path.join(out, f.name), size: f.data.length, mtimeMs: f.mtimeMs, overwrite: false, fsync: false })))
      expect(pool.batchesSent).toBe(1)
      expect(results.map((r) => (r.ok ? 'ok' : r.kind))).toEqual(['ok', 'ok', 'ok', 'ok', 'source', 'ok', 'ok', 'ok', 'ok', 'ok'])
      for (const [i, f] of files.entries()) if (i !== 4) expect((await readFile(path.join(out, f.name))).equals(f.data)).toBe(true)
      expect((await readdir(out)).filter((n) => n.startsWith('.mmesh-tmp-'))).toEqual([])
    } finally {
      await pool.close()
    }
  })

  it('commits nothing more once its gate fails mid-batch: the rest come back stopped, with no file and no temp file', async () => {
    const n = 3000
    const src = path.join(dir, 'stop-src')
    const out = path.join(dir, 'stop-out')
    await mkdir(src)
    await mkdir(out)
    const data = randomBytes(2048)
    await Promise.all(Array.from({ length: n }, (_, i) => writeFile(path.join(src, `s${i}`), data)))
    const pool = new SmallFilePool(2)
    let checks = 0
    try {
      // The check before sending passes; every later one says the lease is gone.
      const gate = { beforeCommit: () => { if (checks++ > 0) throw new Error('lease lost') } }
      const jobs = []
      for (let i = 0; i < n; i++) jobs.push({ src: path.join(src, `s${i}`), final: path.join(out, `s${i}`), size: data.length, mtimeMs: (await stat(path.join(src, `s${i}`))).mtimeMs, overwrite: false, fsync: false })
      const results = await pool.runBatch(jobs, gate)
      const firstStopped = results.findIndex((r) => !r.ok)
      expect(firstStopped).toBeGreaterThanOrEqual(0)
      // A prefix landed, everything after the stop did not.
      for (const [i, r] of results.entries()) expect(r.ok ? 'ok' : r.kind, `file ${i}`).toBe(i < firstStopped ? 'ok' : 'stopped')
      const landed = await readdir(out)
      expect(landed.filter((x) => x.startsWith('.mmesh-tmp-'))).toEqual([])
      expect(landed.length).toBe(firstStopped)
      expect(checks).toBeGreaterThan(1)
    } finally {
      await pool.close()
    }
  })
})

describe('file:// destination, batches (putFiles)', () => {
  it('lands each folder of a batch and gives every file its own outcome', async () => {
    const files = await makeSources('pf-src', 8)
    const rootDir = path.join(dir, 'pf-root')
    await mkdir(rootDir)
    const dest = createFileDestination({ rootDir, library: null, folder: null })
    const signal = new AbortController().signal
    try {
      await dest.open(signal)
      await dest.ensureFolder('a', signal)
      await dest.ensureFolder('b', signal)
      await writeFile(path.join(dest.root, 'b', files[5]!.name), 'already here')
      const outcomes = await dest.putFiles(
        files.map((f, i) => ({ relPath: `${i % 2 === 0 ? 'a' : 'b'}/${f.name}`, source: { localPath: i === 2 ? `${f.src}.gone` : f.src, size: f.data.length, mtimeMs: f.mtimeMs, birthtimeMs: null, owner: null }, overwrite: false })),
        { signal },
      )
      expect(outcomes.map((o) => (o.ok ? 'ok' : (o.error as DestinationError).code))).toEqual(['ok', 'ok', ERROR_CODES.cannotAccessSource, 'ok', 'ok', 'DEST_EXISTS', 'ok', 'ok'])
      for (const i of [0, 1, 3, 4, 6, 7]) {
        const at = path.join(dest.root, i % 2 === 0 ? 'a' : 'b', files[i]!.name)
        expect((await readFile(at)).equals(files[i]!.data)).toBe(true)
        expect(Math.abs((await stat(at)).mtimeMs - files[i]!.mtimeMs)).toBeLessThan(1)
      }
      expect(await readFile(path.join(dest.root, 'b', files[5]!.name), 'utf8')).toBe('already here')
      // An aborted signal: nothing is sent.
      const controller = new AbortController()
      controller.abort()
      await expect(dest.putFiles([{ relPath: 'a/late.bin', source: { localPath: files[0]!.src, size: files[0]!.data.length, mtimeMs: files[0]!.mtimeMs, birthtimeMs: null, owner: null }, overwrite: false }], { signal: controller.signal })).rejects.toThrow()
      expect(await readdir(path.join(dest.root, 'a'))).not.toContain('late.bin')
    } finally {
      await dest.close()
    }
  })
})

describe('file:// destination, small files', () => {
  it('maps each failure in a batch to its own error and lands the rest', async () => {
    const files = await makeSources('dest-src', 6)
    const rootDir = path.join(dir, 'dest-root')
    await mkdir(rootDir)
    const dest = createFileDestination({ rootDir, library: 'Documents', folder: null })
    const signal = new AbortController().signal
    try {
      await dest.open(signal)
      await dest.ensureFolder('x', signal)
      await writeFile(path.join(dest.root, 'x', files[1]!.name), 'newer content')
      const settled = await Promise.allSettled(
        files.map((f, i) =>
          dest.putFile(`x/${f.name}`, { localPath: i === 3 ? `${f.src}.gone` : f.src, size: f.data.length, mtimeMs: f.mtimeMs, birthtimeMs: null, owner: null }, { signal, overwrite: false }),
        ),
      )
      const err = (i: number) => (settled[i] as PromiseRejectedResult).reason as DestinationError
      expect(err(1)).toBeInstanceOf(DestinationError)
      expect(err(1).code).toBe('DEST_EXISTS')
      expect(err(3).code).toBe(ERROR_CODES.cannotAccessSource)
      expect(err(3).message).toMatch(/no longer exists/)
      for (const i of [0, 2, 4, 5]) {
        const r = settled[i]!
        expect(r.status, files[i]!.name).toBe('fulfilled')
        if (r.status === 'fulfilled') expect(r.value).toMatchObject({ size: files[i]!.data.length, hashAlgorithm: 'xxh64' })
        const at = path.join(dest.root, 'x', files[i]!.name)
        expect((await readFile(at)).equals(files[i]!.data)).toBe(true)
        expect(Math.abs((await stat(at)).mtimeMs - files[i]!.mtimeMs)).toBeLessThan(1)
      }
      expect(await readFile(path.join(dest.root, 'x', files[1]!.name), 'utf8')).toBe('newer content')
    } finally {
      await dest.close()
    }
  })

  it('does not send a file once the signal is aborted', async () => {
    const files = await makeSources('abort-src', 3)
    const rootDir = path.join(dir, 'abort-root')
    await mkdir(rootDir)
    const dest = createFileDestination({ rootDir, library: null, folder: null })
    const controller = new AbortController()
    try {
      await dest.open(controller.signal)
      const p = dest.putFile(files[0]!.name, { localPath: files[0]!.src, size: files[0]!.data.length, mtimeMs: files[0]!.mtimeMs, birthtimeMs: null, owner: null }, { signal: controller.signal, overwrite: false })
      // Aborted after putFile was called but before the batch left (it leaves at the end of this turn).
      controller.abort()
      await expect(p).rejects.toThrow()
      expect(await readdir(dest.root)).toEqual([])
    } finally {
      await dest.close()
    }
  })

  it('never replaces a destination file saved newer than the source while it was copied, small or large', async () => {
    const rootDir = path.join(dir, 'newer-root')
    await mkdir(rootDir)
    const dest = createFileDestination({ rootDir, library: null, folder: null })
    const signal = AbortSignal.timeout(30_000)
    const old = new Date(Date.UTC(2021, 0, 1))
    const newer = new Date(Date.UTC(2024, 0, 1))
    try {
      await dest.open(signal)
      for (const [name, bytes] of [['small.bin', 4096], ['large.bin', 3 * 1024 * 1024]] as const) {
        const src = path.join(dir, `newer-src-${name}`)
        await writeFile(src, randomBytes(bytes))
        await utimes(src, old, old)
        // The round decided to replace an older copy; by the commit someone has saved a newer one.
        const theirs = Buffer.from(`edited at the destination: ${name}`)
        await writeFile(path.join(dest.root, name), theirs)
        await utimes(path.join(dest.root, name), newer, newer)
        const err = await dest.putFile(name, { localPath: src, size: bytes, mtimeMs: old.getTime(), birthtimeMs: null, owner: null }, { signal, overwrite: true }).then(() => null, (e: unknown) => e)
        expect(err, name).toBeInstanceOf(DestinationError)
        expect((err as DestinationError).code).toBe(ERROR_CODES.destinationNewer)
        expect((await readFile(path.join(dest.root, name))).equals(theirs), name).toBe(true)
      }
      // nothing half-written left beside them
      expect((await readdir(dest.root)).sort()).toEqual(['large.bin', 'small.bin'])
    } finally {
      await dest.close()
    }
  })
})
