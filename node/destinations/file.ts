/**
 * The `file://` destination: a local or mounted folder standing in for a library. Files land in
 * ROOT/LIBRARY/FOLDER/…. Every file is written to a temporary name in its final folder, verified by
 * re-reading it (xxh64 of what was read from the source against xxh64 of what is on disk), given its
 * times, and only then renamed into place: a kill -9 never leaves a partial file under a final name, only a
 * `.mmesh-tmp-*` leftover that list() hides and deletes on the next round.
 */
import { randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DestinationError, type Destination, type DestinationEntry, type PutOptions, type PutResult, type SourceFile } from '../engine/destination.ts'
import { changedWhileReading, destError, sourceError } from './file-errors.ts'
import { hex64 } from './file-hash.ts'
import { SmallFilePool, type SmallCopyResult } from './file-pool.ts'

export const TEMP_PREFIX = '.mmesh-tmp-'
/** Files up to this size are copied whole in one worker step (read, write, verify, rename); larger ones stream in chunks. */
const SMALL_FILE = 1 << 20

export interface FileDestinationOptions {
  /** The directory of the `file:///DIR` URL; it must exist. */
  rootDir: string
  library: string | null
  folder: string | null
  /** fsync each file before the rename: survives power loss, not only kill -9 (which keeps the page cache). */
  fsync?: boolean
  /** Worker threads for small files (default: one per core, 2 to 4). */
  workers?: number
}

export interface FileDestination extends Destination {
  readonly kind: 'file'
  /** Absolute path of the destination root (ROOT/LIBRARY/FOLDER). */
  readonly root: string
}

export function createFileDestination(options: FileDestinationOptions): FileDestination {
  const rootDir = path.resolve(options.rootDir)
  const root = path.join(rootDir, ...[options.library, options.folder].filter((p): p is string => !!p).flatMap((p) => p.split(/[\\/]+/)).filter(Boolean))
  const abs = (rel: string) => (rel === '' ? root : path.join(root, ...rel.split('/')))

  async function open_(): Promise<void> {
    let st
    try {
      st = await stat(rootDir)
    } catch (err) {
      throw new DestinationError(`destination folder ${rootDir} does not exist or cannot be reached: create or mount it, or correct the file:// URL`, 'task', 'DEST_ROOT_MISSING', true, { cause: err })
    }
    if (!st.isDirectory()) throw new DestinationError(`destination ${rootDir} is not a folder: point the file:// URL at a folder`, 'task', 'DEST_NOT_FOLDER', false)
    try {
      await mkdirp(root)
      // A probe write is the only honest check: access(W_OK) says yes to root on a read-only bind mount.
      const probe = path.join(root, `${TEMP_PREFIX}probe-${randomBytes(6).toString('hex')}`)
      await writeFile(probe, '')
      await unlink(probe)
    } catch (err) {
      const e = destError(err, root)
      if (e.code === 'DEST_ACCESS') throw new DestinationError(`destination ${root} cannot be written (permission denied): fix its permissions`, 'task', 'DEST_READ_ONLY', true, { cause: err })
      throw e.scope === 'task' ? e : new DestinationError(`destination ${root} cannot be written: ${e.message}`, 'task', e.code, true, { cause: err })
    }
  }

  async function list(relFolder: string): Promise<Map<string, DestinationEntry> | null> {
    const dir = abs(relFolder)
    let names
    try {
      names = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return null
      throw destError(err, dir)
    }
    const out = new Map<string, DestinationEntry>()
    const stale: string[] = []
    const todo = names.filter((d) => {
      if (!d.name.startsWith(TEMP_PREFIX)) return true
      stale.push(d.name)
      return false
    })
    // Leftovers of a killed run: nothing else writes TEMP_PREFIX names, and the lease keeps one writer per task.
    await Promise.all(stale.map((n) => unlink(path.join(dir, n)).catch(() => undefined)))
    for (let i = 0; i < todo.length; i += 64) {
      await Promise.all(
        todo.slice(i, i + 64).map(async (d) => {
          try {
            const st = await lstat(path.join(dir, d.name))
            out.set(d.name, { name: d.name, isFolder: st.isDirectory(), size: st.isDirectory() ? 0 : st.size, mtimeMs: st.mtimeMs, partial: false })
          } catch {
            // vanished between readdir and lstat: not there
          }
        }),
      )
    }
    return out
  }

  async function ensureFolder(relFolder: string): Promise<void> {
    const dir = abs(relFolder)
    try {
      await mkdirp(dir)
    } catch (err) {
      throw destError(err, dir)
    }
  }

  const pool = new SmallFilePool(options.workers)

  async function putFile(relPath: string, source: SourceFile, opts: PutOptions): Promise<PutResult> {
    const final = abs(relPath)
    const tmp = path.join(path.dirname(final), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`)
    opts.signal.throwIfAborted()
    if (source.size <= SMALL_FILE) {
      // A small file is written and renamed in one worker step: the lease check comes just before it.
      opts.beforeCommit?.()
      const r = await pool.run({ src: source.localPath, tmp, final, size: source.size, mtimeMs: source.mtimeMs, overwrite: opts.overwrite, fsync: options.fsync === true })
      if (r.ok) {
        opts.onProgress?.(r.size)
        return { size: r.size, hash: hex64(r.hash), hashAlgorithm: 'xxh64' }
      }
      throw resultError(r, source, final, opts.signal)
    }
    return putLarge(final, tmp, source, opts)
  }

  async function putLarge(final: string, tmp: string, source: SourceFile, opts: PutOptions): Promise<PutResult> {
    const abort = new Int32Array(new SharedArrayBuffer(4))
    const onAbort = () => Atomics.store(abort, 0, 1)
    opts.signal.addEventListener('abort', onAbort, { once: true })
    let r
    try {
      r = await pool.run({ src: source.localPath, tmp, final, size: source.size, mtimeMs: source.mtimeMs, overwrite: opts.overwrite, fsync: options.fsync === true, large: true, abort }, opts.onProgress)
    } finally {
      opts.signal.removeEventListener('abort', onAbort)
    }
    if (!r.ok) throw resultError(r, source, final, opts.signal)
    // Written and verified under the temp name: commit only if the engine still holds the task.
    try {
      if (!opts.overwrite) {
        const exists = await lstat(final).then(() => true, () => false)
        if (exists) throw new DestinationError(`${final} appeared at the destination while copying; left alone`, 'item', 'DEST_EXISTS', true)
      }
      opts.signal.throwIfAborted()
      opts.beforeCommit?.()
      await rename(tmp, final)
    } catch (err) {
      await unlink(tmp).catch(() => undefined)
      // fs errors carry a code; a lost lease or an abort does not, and passes through as it is.
      throw err instanceof DestinationError || !(err as NodeJS.ErrnoException).code ? err : destError(err, final)
    }
    opts.onProgress?.(r.size)
    return { size: r.size, hash: hex64(r.hash), hashAlgorithm: 'xxh64' }
  }

  return {
    kind: 'file',
    root,
    open: open_,
    displayPath: abs,
    list: (rel) => list(rel),
    ensureFolder: (rel) => ensureFolder(rel),
    putFile,
    close: () => pool.close(),
  }
}

/**
 * mkdir -p that reports the real reason: Node's recursive mkdir says ENOENT on a read-only mount, so on
 * failure the levels are created one by one to surface EROFS/EACCES/ENOSPC.
 */
async function mkdirp(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true })
    return
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const parts = dir.split(path.sep)
  for (let i = 2; i <= parts.length; i++) {
    const p = parts.slice(0, i).join(path.sep) || path.sep
    try {
      await mkdir(p)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
}

function resultError(r: Extract<SmallCopyResult, { ok: false }>, source: SourceFile, final: string, signal: AbortSignal): Error {
  const cause = Object.assign(new Error(r.message), { code: r.code })
  switch (r.kind) {
    case 'source': return sourceError(cause, source.localPath)
    case 'changed': return changedWhileReading(source.localPath)
    case 'verify': return new DestinationError(`verification failed for ${final}: the written copy differs from what was read`, 'item', 'VERIFY_FAILED', true)
    case 'exists': return new DestinationError(`${final} appeared at the destination while copying; left alone`, 'item', 'DEST_EXISTS', true)
    case 'aborted': return signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError')
    default: return destError(cause, final)
  }
}
