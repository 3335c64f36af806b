/** Listing a source folder: the scan worker and the main-thread fallback report the same entries. */
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readSourceFolder } from './scan.ts'
import { scanner } from './scan-pool.ts'

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
    const first = await readSourceFolder(dir, { cifs: false })
    // The worker boots on first use; list until it has answered at least once.
    const before = scanner.listedByWorker
    let viaWorker = first
    for (let i = 0; i < 100 && scanner.listedByWorker === before; i++) {
      await new Promise((r) => setTimeout(r, 20))
      viaWorker = await readSourceFolder(dir, { cifs: false })
    }
    expect(scanner.listedByWorker).toBeGreaterThan(before)
    expect(viaWorker).toEqual(first)
    expect(viaWorker.map((e) => e.name)).toEqual(['.hidden', 'A.txt', 'b.txt', 'link', 'sub', 'é.txt'])
    const byName = new Map(viaWorker.map((e) => [e.name, e]))
    expect(byName.get('b.txt')).toMatchObject({ kind: 'file', size: 5, mtimeMs: Date.UTC(2021, 5, 1, 8, 30, 0, 250), hidden: false, error: null, localPath: path.join(dir, 'b.txt') })
    expect(byName.get('link')).toMatchObject({ kind: 'other', size: 0 })
    expect(byName.get('sub')).toMatchObject({ kind: 'folder', size: 0 })
    expect(byName.get('.hidden')!.hidden).toBe(true)
    expect(byName.get('é.txt')!.size).toBe(8)
  })

  it('rejects with the error code when the folder cannot be listed', async () => {
    await expect(readSourceFolder(path.join(dir, 'missing'), { cifs: false })).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
