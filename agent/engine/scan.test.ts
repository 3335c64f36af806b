/** Listing a source folder: the scan worker and the main-thread fallback report the same entries. */
import { lstatSync } from 'node:fs'
import { mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listHere, readSourceFolder, type FolderIdentity } from './scan.ts'
import { createScanner, releaseScanner, Scanner, sharedScanner as scanner } from './scan-pool.ts'

const run = promisify(execFile)

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mmesh-scan-'))
  await mkdir(path.join(dir, 'sub'))
  await writeFile(path.join(dir, 'b.txt'), 'hello')
  await writeFile(path.join(dir, 'A.txt'), '')
  await writeFile(path.join(dir, '.hidden'), 'x')
  await writeFile(path.join(dir, 'é.txt'), '12345678')
  await symlink('b.txt', path.join(dir, 'link'))
  const when = new Date(Date.UTC(2021, 5, 1, 8, 30, 0, 250))
  await utimes(path.join(dir, 'b.txt'), when, when)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('readSourceFolder', () => {
  it('lists names in UTF-16 order with kind, size, modified time and hidden, the same on the worker as on the main thread', async () => {
    const first = await listHere(dir)
    const before = scanner.listedByWorker
    const viaWorker = await readSourceFolder(dir, { cifs: false })
    // The first listing waits for the worker to boot rather than listing on this thread.
    expect(scanner.listedByWorker).toBe(before + 1)
    expect(viaWorker).toEqual(first)
    expect(viaWorker.map((e) => e.name)).toEqual(['.hidden', 'A.txt', 'b.txt', 'link', 'sub', 'é.txt'])
    const byName = new Map(viaWorker.map((e) => [e.name, e]))
    expect(byName.get('b.txt')).toMatchObject({ kind: 'file', size: 5, mtimeMs: Date.UTC(2021, 5, 1, 8, 30, 0, 250), hidden: false, error: null, localPath: path.join(dir, 'b.txt') })
    expect(byName.get('link')).toMatchObject({ kind: 'other', size: 0 })
    expect(byName.get('sub')).toMatchObject({ kind: 'folder', size: 0 })
    expect(byName.get('.hidden')!.hidden).toBe(true)
    expect(byName.get('é.txt')!.size).toBe(8)
  })

  it('finishes a listing in a process with nothing else to do (the booting worker keeps it alive)', async () => {
    // A fresh process: the scan worker boots on this first call, and the process must wait for it.
    const script = path.join(dir, 'list-once.mts')
    await writeFile(script, `import { readSourceFolder } from ${JSON.stringify(path.resolve('agent/engine/scan.ts'))}\nconst e = await readSourceFolder(${JSON.stringify(dir)}, { cifs: false })\nconsole.log(e.length)\n`)
    const { stdout } = await run(process.execPath, [path.resolve('bin/run-ts.js'), script], { timeout: 30_000 })
    expect(stdout.trim()).toBe(String((await listHere(dir)).length))
  })

  it('gives each pass its own worker, and a closed scanner refuses further listings', async () => {
    const a = createScanner()
    const b = createScanner()
    try {
      const [la, lb] = await Promise.all([readSourceFolder(dir, { cifs: false, scanner: a }), readSourceFolder(dir, { cifs: false, scanner: b })])
      expect(la).toEqual(lb)
      expect([a.listedByWorker, b.listedByWorker]).toEqual([1, 1])
    } finally {
      a.close()
    }
    await expect(readSourceFolder(dir, { cifs: false, scanner: a })).rejects.toMatchObject({ name: 'AbortError' })
    // the other pass's scanner goes on
    expect((await readSourceFolder(dir, { cifs: false, scanner: b })).length).toBeGreaterThan(0)
    expect(b.listedByWorker).toBe(2)
    // A pass that ends with nothing waiting gives its worker to the next pass, already booted.
    releaseScanner(b)
    const c = createScanner()
    expect(c).toBe(b)
    expect((await readSourceFolder(dir, { cifs: false, scanner: c })).length).toBeGreaterThan(0)
    expect(c.listedByWorker).toBe(3)
    c.close()
    // A closed one is never handed out again.
    releaseScanner(c)
    const d = createScanner()
    expect(d).not.toBe(c)
    d.close()
  })

  it('gives up a listing that makes no progress (ETIMEDOUT) and lists the next folder on a new worker', async () => {
    await mkdir(path.join(dir, 'mmesh-stall-unit'), { recursive: true })
    process.env.MMESH_TEST_SCAN_STALL = 'mmesh-stall-unit'
    const s = new Scanner(new URL('../../test/support/stalling-scan-worker.js', import.meta.url))
    s.stallMs = 300
    try {
      const t0 = Date.now()
      await expect(readSourceFolder(path.join(dir, 'mmesh-stall-unit'), { cifs: false, scanner: s })).rejects.toMatchObject({ code: 'ETIMEDOUT', message: expect.stringMatching(/did not answer for 0\.3 s/) })
      expect(Date.now() - t0).toBeGreaterThanOrEqual(300)
      delete process.env.MMESH_TEST_SCAN_STALL
      expect((await readSourceFolder(dir, { cifs: false, scanner: s })).length).toBeGreaterThan(0)
      expect(s.listedByWorker).toBe(1)
    } finally {
      delete process.env.MMESH_TEST_SCAN_STALL
      s.close()
    }
  })

  it('says what a non-regular entry is (link, FIFO, socket) and records every entry\'s device and inode', async () => {
    const sdir = path.join(dir, 'specials')
    await mkdir(sdir)
    await writeFile(path.join(sdir, 'file.txt'), 'x')
    await mkdir(path.join(sdir, 'folder'))
    await symlink('/etc/passwd', path.join(sdir, 'link'))
    await run('mkfifo', [path.join(sdir, 'fifo')])
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen(path.join(sdir, 'sock'), resolve))
    try {
      const viaWorker = await readSourceFolder(sdir, { cifs: false })
      expect(viaWorker).toEqual(await listHere(sdir))
      expect(viaWorker.map((e) => [e.name, e.kind, e.special])).toEqual([
        ['fifo', 'other', 'fifo'],
        ['file.txt', 'file', null],
        ['folder', 'folder', null],
        ['link', 'other', 'symlink'],
        ['sock', 'other', 'socket'],
      ])
      for (const e of viaWorker) {
        const st = lstatSync(e.localPath)
        expect([e.dev, e.ino], e.name).toEqual([st.dev, st.ino])
      }
    } finally {
      server.close()
    }
  })

  it('lists a subfolder only if it is still the folder its parent listed: a link or another folder swapped in fails ECHANGED', async () => {
    const root = path.join(dir, 'swap-root')
    await mkdir(path.join(root, 'sub'), { recursive: true })
    await writeFile(path.join(root, 'sub', 'inner.txt'), 'inner')
    const outside = path.join(dir, 'outside')
    await mkdir(outside, { recursive: true })
    await writeFile(path.join(outside, 'secret.txt'), 'secret')
    const listed = (await readSourceFolder(root, { cifs: false })).find((e) => e.name === 'sub')!
    const subDir = path.join(root, 'sub')
    for (const list of [(d: string, id: FolderIdentity) => readSourceFolder(d, { cifs: false, expect: id }), (d: string, id: FolderIdentity) => listHere(d, id)]) {
      // still the same folder: listed
      expect((await list(subDir, listed)).map((e) => e.name)).toEqual(['inner.txt'])
      // swapped for a link to a folder outside: not followed
      await rename(subDir, `${subDir}.away`)
      await symlink(outside, subDir)
      await expect(list(subDir, listed)).rejects.toMatchObject({ code: 'ECHANGED', message: `${subDir} changed between listing and reading: it is now a symbolic link; not read` })
      // swapped for another folder (a new inode)
      await rm(subDir)
      await mkdir(subDir)
      await expect(list(subDir, listed)).rejects.toMatchObject({ code: 'ECHANGED', message: expect.stringMatching(/it is now a different folder/) })
      await rm(subDir, { recursive: true })
      await rename(`${subDir}.away`, subDir)
    }
  })

  it('rejects with the error code when the folder cannot be listed', async () => {
    await expect(readSourceFolder(path.join(dir, 'missing'), { cifs: false })).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
