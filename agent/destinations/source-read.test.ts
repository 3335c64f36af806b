/**
 * The file:// destination reads only the source the listing saw: on every read path (a single small file
 * on a worker, a batch, a large file by the kernel's copy) a source that is now a symbolic link, a FIFO or
 * another file fails with "changed between listing and reading", is never read, and leaves nothing at the
 * destination; a FIFO never hangs the read. And its temporary-file cleanup deletes only its own leftovers.
 */
import { execFileSync } from 'node:child_process'
import { lstatSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../protocol/classify.ts'
import { DestinationError, type SourceFile } from '../engine/destination.ts'
import { createFileDestination, type FileDestination } from './file.ts'
import { TempNames } from './temp-names.ts'

const SECRET = 'TOP SECRET'
let dir: string
let secret: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mmesh-source-read-'))
  secret = path.join(dir, 'secret.txt')
  await writeFile(secret, SECRET.repeat(200_000)) // 2 MB: as large as the large sources below
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A source file as the listing saw it (its device and inode), then replaced by `swap`. */
async function listedThenSwapped(name: string, bytes: number, swap: (at: string) => Promise<void> | void): Promise<SourceFile> {
  const at = path.join(dir, 'src', name)
  await mkdir(path.dirname(at), { recursive: true })
  await writeFile(at, Buffer.alloc(bytes, 7))
  const st = lstatSync(at)
  // the original is kept (renamed), so its inode number cannot be handed to what replaces it
  await rename(at, `${at}.old`)
  await swap(at)
  return { localPath: at, size: st.size, mtimeMs: st.mtimeMs, birthtimeMs: null, owner: null, dev: st.dev, ino: st.ino }
}

const swaps = {
  link: (at: string) => symlink(secret, at),
  fifo: (at: string) => {
    execFileSync('mkfifo', [at])
  },
  other: (at: string) => writeFile(at, Buffer.alloc(4, 1)),
}
const NOW = { link: 'a symbolic link', fifo: 'a FIFO (named pipe)', other: 'a different file' }

function expectSwapped(err: unknown, source: SourceFile, now: string): void {
  expect(err).toBeInstanceOf(DestinationError)
  const e = err as DestinationError
  expect(e.code).toBe(ERROR_CODES.cannotAccessSource)
  expect(e.retryable).toBe(false)
  expect(e.message).toBe(`source ${source.localPath} changed between listing and reading: it is now ${now}; it was not read`)
}

async function newDest(name: string, o: Partial<Parameters<typeof createFileDestination>[0]> = {}): Promise<FileDestination> {
  const rootDir = path.join(dir, name)
  await mkdir(rootDir, { recursive: true })
  const dest = createFileDestination({ rootDir, library: null, folder: null, tempTag: 'agent-a', ...o })
  await dest.open(AbortSignal.timeout(10_000))
  return dest
}

describe('file:// destination: the source must be the file listed', () => {
  for (const [label, bytes] of [['small (one file on a worker)', 3000], ['large (kernel copy)', 2 << 20]] as const) {
    for (const kind of ['link', 'fifo', 'other'] as const) {
      it(`putFile, ${label}: a source now ${NOW[kind]} fails unread`, async () => {
        const dest = await newDest(`put-${bytes}-${kind}`)
        try {
          const source = await listedThenSwapped(`put-${bytes}-${kind}.bin`, bytes, swaps[kind])
          const err = await dest.putFile('x.bin', source, { signal: AbortSignal.timeout(10_000), overwrite: false }).then(() => null, (e: unknown) => e)
          expectSwapped(err, source, NOW[kind])
          expect(await readdir(dest.root)).toEqual([])
        } finally {
          await dest.close()
        }
      }, 20_000)
    }
  }

  it('putFiles: each swapped file of a batch fails on its own, unread; the rest land', async () => {
    const dest = await newDest('batch')
    try {
      const good = path.join(dir, 'src', 'good.txt')
      await writeFile(good, 'good')
      const gst = await stat(good)
      const files = [
        { relPath: 'link.bin', source: await listedThenSwapped('b-link.bin', 100, swaps.link), overwrite: false },
        { relPath: 'good.txt', source: { localPath: good, size: 4, mtimeMs: gst.mtimeMs, birthtimeMs: null, owner: null, dev: gst.dev, ino: gst.ino }, overwrite: false },
        { relPath: 'fifo.bin', source: await listedThenSwapped('b-fifo.bin', 100, swaps.fifo), overwrite: false },
        { relPath: 'other.bin', source: await listedThenSwapped('b-other.bin', 100, swaps.other), overwrite: false },
      ]
      const out = await dest.putFiles(files, { signal: AbortSignal.timeout(10_000) })
      expect(out[1]!.ok).toBe(true)
      expectSwapped((out[0] as { error: unknown }).error, files[0]!.source, NOW.link)
      expectSwapped((out[2] as { error: unknown }).error, files[2]!.source, NOW.fifo)
      expectSwapped((out[3] as { error: unknown }).error, files[3]!.source, NOW.other)
      expect(await readdir(dest.root)).toEqual(['good.txt'])
      expect(await readFile(path.join(dest.root, 'good.txt'), 'utf8')).toBe('good')
    } finally {
      await dest.close()
    }
  }, 20_000)

  it('without the listing\'s device and inode, still reads only a regular file, never through a link', async () => {
    const dest = await newDest('no-ino')
    try {
      for (const bytes of [100, 2 << 20]) {
        const { dev: _d, ino: _i, ...source } = await listedThenSwapped(`noino-${bytes}.bin`, bytes, swaps.link)
        const err = await dest.putFile(`n${bytes}.bin`, source, { signal: AbortSignal.timeout(10_000), overwrite: false }).then(() => null, (e: unknown) => e)
        expectSwapped(err, source, NOW.link)
      }
      expect(await readdir(dest.root)).toEqual([])
    } finally {
      await dest.close()
    }
  }, 20_000)
})

describe('file:// destination: temporary files', () => {
  it('list() deletes only this agent\'s leftovers; another agent\'s temp files, look-alikes and this process\'s files in flight stay', async () => {
    const dest = await newDest('temps', { tempTag: 'agent-a' })
    // a second destination of this agent in this process, still open: its temporary files may be in flight
    const sibling = await newDest('temps', { tempTag: 'agent-a' })
    try {
      const earlier = new TempNames('agent-a') // a run of this agent that is over (killed)
      earlier.release()
      const otherAgent = new TempNames('agent-b')
      otherAgent.release()
      const inFlight = new TempNames('agent-a')
      const ours = [`${earlier.prefix}abc-1`, `${earlier.prefix}L0123456789abcdef`]
      const theirs = [`${otherAgent.prefix}abc-1`, '.mmesh-tmp-0123456789abcdef', '.mmesh-tmp-my-notes.txt', `${inFlight.prefix}def-2`]
      for (const n of [...ours, ...theirs]) await writeFile(path.join(dest.root, n), n)
      const listed = await dest.list('', AbortSignal.timeout(10_000))
      const left = (await readdir(dest.root)).sort()
      expect(left).toEqual([...theirs].sort())
      for (const n of theirs) expect(await readFile(path.join(dest.root, n), 'utf8')).toBe(n)
      // Others' names are listed like any file; this process's in-flight file is hidden.
      expect([...listed!.keys()].sort()).toEqual(theirs.filter((n) => n !== `${inFlight.prefix}def-2`).sort())
      inFlight.release()
      // Once that destination is closed, what it left is a leftover too.
      await dest.list('', AbortSignal.timeout(10_000))
      expect(await readdir(dest.root)).not.toContain(`${inFlight.prefix}def-2`)
    } finally {
      await sibling.close()
      await dest.close()
    }
  })

  it('names its temporary files with its own prefix', async () => {
    const names = new TempNames('agent-a', 'task-1')
    try {
      expect(names.prefix).toMatch(/^\.mmesh-tmp-[0-9a-f]{12}\.[0-9a-f]{12}\.[0-9a-f]{8}\.$/)
      expect(new TempNames('agent-a').agent).toBe(names.agent)
      expect(new TempNames('agent-b').agent).not.toBe(names.agent)
      expect(names.classify(`${names.prefix}x`)).toBe('live')
      expect(names.classify('.mmesh-tmp-whatever')).toBe(null)
    } finally {
      names.release()
    }
  })
})
