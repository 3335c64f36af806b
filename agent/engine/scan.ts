/**
 * Reading the source, one folder at a time: the engine walks depth-first with an explicit stack and
 * holds one folder's entries at once (plus the names of folders still to visit), never the tree.
 */
import { constants as fsc, existsSync, type Stats } from 'node:fs'
import { lstat, open, readdir, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { readCifsAttributes, type CifsAttributes } from './scan-cifs.ts'
import { sharedScanner, type FolderIdentity, type Scanner, type SourceEntry, type SpecialKind } from './scan-pool.ts'

// What a listing returns is defined beside the worker that makes it (scan-pool.ts imports nothing back).
export type { FolderIdentity, SourceEntry, SpecialKind }

export interface ScanOptions {
  /** Read `user.cifs.*` attributes (hidden bit, share creation time): the source is a CIFS mount. */
  cifs: boolean
  /** The pass's own scan worker (default: one shared by the process). */
  scanner?: Scanner
  /**
   * The folder as its parent's listing saw it (absent for the task's root): the folder is opened without
   * following a link and must be that one, else the listing fails with ECHANGED (see scan-list.js).
   */
  expect?: FolderIdentity | null
}

const STAT_BATCH = 64

/** Lists one source folder, sorted by name (UTF-16 code units) so every round sees the same order. */
export async function readSourceFolder(dir: string, options: ScanOptions): Promise<SourceEntry[]> {
  const expect = options.expect ? { dev: options.expect.dev, ino: options.expect.ino } : null
  const out = (await (options.scanner ?? sharedScanner).list(dir, expect)) ?? (await listHere(dir, expect))
  if (options.cifs && out.length > 0) {
    // Files and folders only: getfattr follows a symbolic link, and the other entries are skipped anyway.
    const read = out.filter((e) => e.kind !== 'other')
    const attrs = read.length > 0 ? await readCifsAttributes(read.map((e) => e.localPath)) : new Map<string, CifsAttributes>()
    for (const e of read) applyCifs(e, attrs.get(e.localPath))
  }
  return out
}

/** Folders are read through their descriptor where the platform has a path for one (see scan-list.js). */
const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd')

/** The same listing on this thread (scan-list.js): the fallback when the scan worker cannot run. Exported for tests. */
export async function listHere(dir: string, expect: FolderIdentity | null = null): Promise<SourceEntry[]> {
  const handle = await openFolder(dir, expect)
  try {
    const base = PROC_FD ? `/proc/self/fd/${handle.fd}/` : dir.endsWith(path.sep) ? dir : dir + path.sep
    const names = await readdir(PROC_FD ? base : dir)
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const out: SourceEntry[] = new Array(names.length)
    for (let i = 0; i < names.length; i += STAT_BATCH) {
      await Promise.all(
        names.slice(i, i + STAT_BATCH).map(async (name, j) => {
          out[i + j] = await statEntry(dir, base, name)
        }),
      )
    }
    if (!PROC_FD && expect) {
      const now = await lstat(dir).catch(() => null)
      if (!now || !now.isDirectory() || now.dev !== expect.dev || now.ino !== expect.ino) throw folderChanged(dir, now ? await describePath(dir) : 'gone')
    }
    return out
  } finally {
    await handle.close().catch(() => undefined)
  }
}

async function openFolder(dir: string, expect: FolderIdentity | null): Promise<FileHandle> {
  let handle: FileHandle
  try {
    handle = await open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY | (expect ? fsc.O_NOFOLLOW : 0))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (expect && (code === 'ELOOP' || code === 'ENOTDIR')) throw folderChanged(dir, await describePath(dir))
    throw err
  }
  if (expect) {
    const st = await handle.stat()
    if (st.dev !== expect.dev || st.ino !== expect.ino) {
      await handle.close().catch(() => undefined)
      throw folderChanged(dir, 'a different folder')
    }
  }
  return handle
}

function folderChanged(dir: string, now: string): Error {
  return Object.assign(new Error(`${dir} changed between listing and reading: it is now ${now}; not read`), { code: 'ECHANGED' })
}

/** What an lstat says an entry is, as scan-list.js codes it. */
export function specialOf(st: Stats): SpecialKind | null {
  if (st.isSymbolicLink()) return 'symlink'
  if (st.isFIFO()) return 'fifo'
  if (st.isSocket()) return 'socket'
  if (st.isBlockDevice()) return 'block-device'
  if (st.isCharacterDevice()) return 'char-device'
  return null
}

const SPECIAL_WORDS: Record<SpecialKind, string> = { symlink: 'a symbolic link', fifo: 'a FIFO (named pipe)', socket: 'a socket', 'block-device': 'a block device', 'char-device': 'a character device' }

async function describePath(p: string): Promise<string> {
  try {
    const st = await lstat(p)
    if (st.isDirectory()) return 'a different folder'
    if (st.isFile()) return 'a file'
    const s = specialOf(st)
    return s ? SPECIAL_WORDS[s] : 'a special file'
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? 'gone' : `unreadable (${code ?? String(err)})`
  }
}

async function statEntry(dir: string, base: string, name: string): Promise<SourceEntry> {
  const localPath = path.join(dir, name)
  const hidden = name.startsWith('.')
  try {
    // lstat: a symbolic link is reported as what it is, never followed (no loops, no escaping the share).
    const st = await lstat(base + name)
    const kind = st.isDirectory() ? 'folder' : st.isFile() ? 'file' : 'other'
    return {
      name,
      localPath,
      kind,
      special: kind === 'other' ? specialOf(st) : null,
      size: kind === 'file' ? st.size : 0,
      mtimeMs: st.mtimeMs,
      // 0 means the filesystem does not know (no statx birth time).
      birthtimeMs: st.birthtimeMs > 0 ? st.birthtimeMs : null,
      uid: process.platform === 'win32' ? null : st.uid,
      dev: st.dev,
      ino: st.ino,
      hidden,
      error: null,
    }
  } catch (err) {
    return { name, localPath, kind: 'other', special: null, size: 0, mtimeMs: 0, birthtimeMs: null, uid: null, dev: 0, ino: 0, hidden, error: (err as NodeJS.ErrnoException).code ?? String(err) }
  }
}

function applyCifs(e: SourceEntry, a: CifsAttributes | undefined): void {
  if (!a) return
  if (a.hidden) e.hidden = true
  if (a.creationTimeMs !== null) e.birthtimeMs = a.creationTimeMs
}
