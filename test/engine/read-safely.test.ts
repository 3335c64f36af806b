/**
 * Reading a share safely (issue 15): symbolic links, FIFOs, sockets and devices in the source are skipped
 * items with a reason, never opened or followed, and the round completes (a FIFO would hang a plain
 * open); an entry swapped for something else between the listing and the read (a link to a secret, a
 * FIFO, another file, a folder swapped for a link out of the share) fails as an item and is never read.
 * Real files, real worker threads; the swaps are made by a scan worker that changes the folder right after
 * listing it (test/support/swapping-scan-worker.js).
 */
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFileDestination } from '../../agent/destinations/file.ts'
import { runTaskRound } from '../../agent/engine/round.ts'
import type { ItemStore } from '../../agent/items/store.ts'
import { cleanup, makeDeps, makeJob, openDb, recordsByRel, tempDir, walk } from './helpers.ts'

const SECRET = 'TOP SECRET: must never leave the secret folder'
const SWAPPING_WORKER = new URL('../support/swapping-scan-worker.js', import.meta.url)

let dir: string
let items: ItemStore
let closeDb: () => Promise<void>
let secretDir: string
let secretFile: string

beforeAll(async () => {
  dir = await tempDir('mmesh-read-safely-')
  const db = await openDb(dir)
  items = db.items
  closeDb = db.close
  // Outside every source: what a planted link or a swap would try to exfiltrate.
  secretDir = path.join(dir, 'secret')
  secretFile = path.join(secretDir, 'secret.txt')
  await mkdir(secretDir)
  await writeFile(secretFile, SECRET)
})
afterAll(async () => {
  await closeDb?.()
  await cleanup(dir)
})

/** Every file under the destination, and that none of them holds the secret or /etc/passwd's first line. */
async function assertNothingLeaked(root: string): Promise<string[]> {
  const files = []
  for (const rel of await walk(root)) {
    const at = path.join(root, rel)
    let text: string
    try {
      text = await readFile(at, 'utf8')
    } catch {
      continue // a folder
    }
    files.push(rel)
    expect(text, rel).not.toContain('TOP SECRET')
    expect(text, rel).not.toMatch(/^root:/)
  }
  return files
}

describe('entries that are not regular files or folders', () => {
  it('skips a FIFO, a socket and symbolic links (to /etc/passwd, to a folder outside) with their reason; the round completes', async () => {
    const src = path.join(dir, 'specials')
    await mkdir(path.join(src, 'sub'), { recursive: true })
    await writeFile(path.join(src, 'a.txt'), 'plain a')
    await writeFile(path.join(src, 'sub', 'inner.txt'), 'plain inner')
    execFileSync('mkfifo', [path.join(src, 'pipe')])
    await symlink('/etc/passwd', path.join(src, 'passwd'))
    await symlink(secretDir, path.join(src, 'elsewhere'))
    await symlink(secretFile, path.join(src, 'secret-link.txt'))
    // A listening Unix socket (the server keeps it a socket while the round runs).
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen(path.join(src, 'sock'), resolve))
    const destRoot = path.join(dir, 'dest-specials')
    await mkdir(destRoot)
    const dest = createFileDestination({ rootDir: destRoot, library: null, folder: null, tempTag: 'read-safely' })
    try {
      const job = { ...makeJob(src), taskId: 'task-specials' }
      const { deps } = makeDeps(dest, items)
      const result = await runTaskRound(job, deps)
      expect(result.phase).toBe('completed')
      const recs = await recordsByRel(items, job)
      const skipped = (rel: string) => {
        const r = recs.get(rel)
        expect(r, rel).toMatchObject({ status: 'Skipped', resultCategory: 'Unsupported item', errorCode: 'UNSUPPORTED' })
        return r!.message
      }
      expect(skipped('pipe')).toBe(`${path.join(src, 'pipe')}: FIFO (named pipe), skipped and never opened; not migrated`)
      expect(skipped('sock')).toMatch(/: socket, skipped and never opened; not migrated$/)
      expect(skipped('passwd')).toBe(`${path.join(src, 'passwd')}: symbolic link, not followed; not migrated`)
      expect(skipped('elsewhere')).toMatch(/: symbolic link, not followed; not migrated$/)
      expect(skipped('secret-link.txt')).toMatch(/: symbolic link, not followed; not migrated$/)
      // nothing through the links: the folder link's contents were never listed
      expect(recs.has('elsewhere/secret.txt')).toBe(false)
      expect(recs.get('a.txt')).toMatchObject({ status: 'Migrated' })
      expect(recs.get('sub/inner.txt')).toMatchObject({ status: 'Migrated' })
      expect(result.counts.failed).toBe(0)
      expect(await walk(destRoot)).toEqual(['a.txt', 'sub', 'sub/inner.txt'])
      expect(await assertNothingLeaked(destRoot)).toEqual(['a.txt', 'sub/inner.txt'])
    } finally {
      server.close()
      await dest.close()
    }
  }, 20_000)
})

describe('entries swapped between the listing and the read', () => {
  it('fails a file swapped for a link, a FIFO or another file, and a folder swapped for a link; never reads them; the rest migrates', async () => {
    const src = path.join(dir, 'swaps')
    await mkdir(path.join(src, 'sub'), { recursive: true })
    for (let i = 0; i < 40; i++) await writeFile(path.join(src, `keep-${String(i).padStart(2, '0')}.txt`), `keep ${i}`)
    await writeFile(path.join(src, 'to-link.txt'), 'will be a link')
    await writeFile(path.join(src, 'to-passwd.txt'), 'will be a link to /etc/passwd')
    await writeFile(path.join(src, 'to-fifo.txt'), 'will be a FIFO')
    await writeFile(path.join(src, 'replaced.txt'), 'will be another file')
    // Large files take the other read path (kernel copy through the checked descriptor).
    await writeFile(path.join(src, 'big-to-link.bin'), Buffer.alloc(3 << 20, 1))
    await writeFile(path.join(src, 'big-to-fifo.bin'), Buffer.alloc(3 << 20, 2))
    await writeFile(path.join(src, 'big-keep.bin'), Buffer.alloc(3 << 20, 3))
    await writeFile(path.join(src, 'sub', 'inner.txt'), 'inside the real folder')
    const destRoot = path.join(dir, 'dest-swaps')
    await mkdir(destRoot)
    const dest = createFileDestination({ rootDir: destRoot, library: null, folder: null, tempTag: 'read-safely' })
    process.env.MMESH_TEST_SWAP = JSON.stringify({
      dir: src,
      swaps: [
        { name: 'to-link.txt', to: 'symlink', target: secretFile },
        { name: 'to-passwd.txt', to: 'symlink', target: '/etc/passwd' },
        { name: 'to-fifo.txt', to: 'fifo' },
        { name: 'replaced.txt', to: 'file', target: 'a different file with a different inode' },
        { name: 'big-to-link.bin', to: 'symlink', target: secretFile },
        { name: 'big-to-fifo.bin', to: 'fifo' },
        { name: 'sub', to: 'folder-link', target: secretDir },
      ],
    })
    try {
      const job = { ...makeJob(src), taskId: 'task-swaps' }
      const { deps } = makeDeps(dest, items, { scanWorker: SWAPPING_WORKER })
      const result = await runTaskRound(job, deps)
      expect(process.env.MMESH_TEST_SWAP).toBeUndefined() // the swaps happened
      expect(result.phase).toBe('completed')
      const recs = await recordsByRel(items, job)
      const failed = (rel: string, now: string) => {
        const r = recs.get(rel)
        expect(r, rel).toMatchObject({ status: 'Failed', errorCode: '0x01110003', resultCategory: 'Source read error' })
        expect(r!.message, rel).toBe(`source ${path.join(src, rel)} changed between listing and reading: it is now ${now}; it was not read`)
      }
      failed('to-link.txt', 'a symbolic link')
      failed('to-passwd.txt', 'a symbolic link')
      failed('to-fifo.txt', 'a FIFO (named pipe)')
      failed('replaced.txt', 'a different file')
      failed('big-to-link.bin', 'a symbolic link')
      failed('big-to-fifo.bin', 'a FIFO (named pipe)')
      expect(recs.get('sub')).toMatchObject({ status: 'Failed', isFolder: true, errorCode: '0x01110003' })
      expect(recs.get('sub')!.message).toMatch(/ECHANGED: .*sub changed between listing and reading: it is now a symbolic link; not read/)
      expect(recs.has('sub/secret.txt')).toBe(false)
      expect(recs.has('sub/inner.txt')).toBe(false)
      for (let i = 0; i < 40; i++) expect(recs.get(`keep-${String(i).padStart(2, '0')}.txt`)?.status).toBe('Migrated')
      expect(recs.get('big-keep.bin')?.status).toBe('Migrated')
      expect(result.counts.failed).toBe(7)
      const landed = await assertNothingLeaked(destRoot)
      expect(landed.filter((f) => !f.startsWith('keep-'))).toEqual(['big-keep.bin'])
      expect(await readFile(path.join(destRoot, 'keep-07.txt'), 'utf8')).toBe('keep 7')
    } finally {
      delete process.env.MMESH_TEST_SWAP
      await dest.close()
    }
  }, 20_000)
})
