/**
 * Reading the source, one folder at a time: the engine walks depth-first with an explicit stack and
 * holds one folder's entries at once (plus the names of folders still to visit), never the tree.
 */
import { opendir, lstat } from 'node:fs/promises'
import path from 'node:path'
import { readCifsAttributes, type CifsAttributes } from './scan-cifs.ts'
import { sharedScanner, type Scanner, type SourceEntry } from './scan-pool.ts'

// What a listing returns is defined beside the worker that makes it (scan-pool.ts imports nothing back).
export type { SourceEntry }

export interface ScanOptions {
  /** Read `user.cifs.*` attributes (hidden bit, share creation time): the source is a CIFS mount. */
  cifs: boolean
  /** The pass's own scan worker (default: one shared by the process). */
  scanner?: Scanner
}

const STAT_BATCH = 64

/** Lists one source folder, sorted by name (UTF-16 code units) so every round sees the same order. */
export async function readSourceFolder(dir: string, options: ScanOptions): Promise<SourceEntry[]> {
  const out = (await (options.scanner ?? sharedScanner).list(dir)) ?? (await listHere(dir))
  if (options.cifs && out.length > 0) {
    const attrs = await readCifsAttributes(out.map((e) => e.localPath))
    for (const e of out) applyCifs(e, attrs.get(e.localPath))
  }
  return out
}

/** The same listing on this thread: the fallback when the scan worker cannot run. Exported for tests. */
export async function listHere(dir: string): Promise<SourceEntry[]> {
  const names: string[] = []
  const handle = await opendir(dir, { bufferSize: 256 })
  for await (const d of handle) names.push(d.name)
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const out: SourceEntry[] = new Array(names.length)
  for (let i = 0; i < names.length; i += STAT_BATCH) {
    await Promise.all(
      names.slice(i, i + STAT_BATCH).map(async (name, j) => {
        out[i + j] = await statEntry(dir, name)
      }),
    )
  }
  return out
}

async function statEntry(dir: string, name: string): Promise<SourceEntry> {
  const localPath = path.join(dir, name)
  const hidden = name.startsWith('.')
  try {
    // lstat: a symbolic link is reported as what it is, never followed (no loops, no escaping the share).
    const st = await lstat(localPath)
    const kind = st.isDirectory() ? 'folder' : st.isFile() ? 'file' : 'other'
    return {
      name,
      localPath,
      kind,
      size: kind === 'file' ? st.size : 0,
      mtimeMs: st.mtimeMs,
      // 0 means the filesystem does not know (no statx birth time).
      birthtimeMs: st.birthtimeMs > 0 ? st.birthtimeMs : null,
      uid: process.platform === 'win32' ? null : st.uid,
      hidden,
      error: null,
    }
  } catch (err) {
    return { name, localPath, kind: 'other', size: 0, mtimeMs: 0, birthtimeMs: null, uid: null, hidden, error: (err as NodeJS.ErrnoException).code ?? String(err) }
  }
}

function applyCifs(e: SourceEntry, a: CifsAttributes | undefined): void {
  if (!a) return
  if (a.hidden) e.hidden = true
  if (a.creationTimeMs !== null) e.birthtimeMs = a.creationTimeMs
}
