/**
 * The `file://` destination: a local or mounted folder standing in for a library. Files land in
 * ROOT/LIBRARY/FOLDER/…. Every file is written to a temporary name in its final folder, verified by
 * re-reading it (xxh64 of what was read from the source against xxh64 of what is on disk), flushed to disk
 * (fdatasync), only then given the source's times and renamed into place, and the folder is flushed after
 * the rename(s): a batch's folders once the task's pass has copied everything (settle(), file-settle.ts),
 * before the task can be completed. So a kill -9 or a power cut never leaves a partial file under a final
 * name, and a file that shows the source's modified time under its final name has its bytes on disk (a
 * rerun that trusts it as Unchanged trusts durable data). What is left is a temporary file
 * (`.mmesh-tmp-<agent>.…`) that list() hides and deletes on a later round: only this agent's own
 * (file-pool.ts TempNames). Files up to 1 MiB go
 * to worker threads in batches (file-pool.ts, file-worker.js; they re-read through the descriptor they wrote
 * with); larger ones are copied here. Sources are opened without following links or blocking and must be
 * the file the listing saw (source-read.ts).
 */
import { randomBytes } from 'node:crypto'
import { constants as fsc } from 'node:fs'
import { copyFile, lstat, open, readdir, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { DestinationError, type BatchFile, type BatchOutcome, type BatchPutOptions, type Destination, type DestinationEntry, type PutOptions, type PutResult, type SourceFile } from '../engine/destination.ts'
import type { Stats } from 'node:fs'
import { changedWhileReading, destError, sourceError } from './file-errors.ts'
import { hex64, xxhashApi } from './file-hash.ts'
import { SmallFilePool, folderOf } from './file-pool.ts'
import { FolderSettler } from './file-settle.ts'
import { TEMP_PREFIX, TempNames } from './temp-names.ts'
import { openSource } from './source-read.ts'
import { destinationBecameNewer, mkdirp, reachableByFd, smallFileError, stopReason, streamCopy, syncFolder } from './file-io.ts'
import type { Throttle } from '../throttle/token-bucket.ts'

export { TEMP_PREFIX }
/** Files up to this size are read and written in one call each: fewer syscalls for the small-file case. */
const SMALL_FILE = 1 << 20
/**
 * Larger files up to this size are copied by the kernel and verified by hashing source and copy on two
 * workers (measured 20 × 100 MB: streamed through this thread 4.6 s, rsync -a 2.4 s, cp -a 0.6 s). Beyond
 * it they stream in chunks, so progress keeps flowing and a cancel stops them within a chunk.
 */
const KERNEL_COPY_MAX = 1 << 30
/**
 * Batches in flight per task (Destination.batchWindow): three workers' worth (a worker runs 16 at a time,
 * file-worker.js ACTIVE), so past one folder's 16 the walk goes on to the next folder and its worker
 * (10,000 × 4 KB in 10 folders: both workers busy through the task instead of taking turns).
 */
const BATCH_WINDOW = 48


/**
 * A relative path with nothing for path.join to resolve (no empty, '.' or '..' segment, no backslash):
 * joined by concatenation, which is most of this destination's main-thread time per small file otherwise.
 */
const PLAIN_REL = /^(?!\.{1,2}(?:\/|$))(?:[^/\\]+?)(?:\/(?!\.{1,2}(?:\/|$))[^/\\]+)*$/

export interface FileDestinationOptions {
  /** The directory of the `file:///DIR` URL; it must exist. */
  rootDir: string
  library: string | null
  folder: string | null
  /**
   * Flush each file's data before its rename and each folder after (default true): a file under its final
   * name survives a power cut, not only a kill -9. false is for scratch destinations only (tests, tmpfs):
   * a power cut can then leave a final name with the source's time over data that never reached the disk.
   */
  fsync?: boolean
  /**
   * Who this agent is, for its temporary files (e.g. its agent id): cleanup deletes only leftovers with this
   * tag, never another agent's temporary files or a user's files that look like them (file-pool.ts
   * TempNames). Without it, this process's own; leftovers of an earlier process are then left alone.
   */
  tempTag?: string
  /**
   * The task this destination copies for: leftovers of that task by another agent (a holder that died or
   * lost the lease; the task has one holder, us) are deleted too (file-pool.ts TempNames).
   */
  taskId?: string
  /** Worker threads for small files (default: one per core, 2 to 4). */
  workers?: number
  /**
   * The agent's bandwidth limit: while it is in force, every byte goes through it (large files stream
   * through this thread instead of the kernel's copy, which no limit can pace).
   */
  throttle?: Throttle
}

/** A kernel copy's open descriptor and its flush in progress (kernelCopy), until closeKernelCopy. */
interface KernelCopy {
  fh: FileHandle
  /** the fdatasync started after the copy: null once done, or its error */
  flushed: Promise<unknown>
  size: number
  hash: bigint
}

/** Closes a kernel copy's descriptor once its flush is over (never while an fdatasync runs on it). */
async function closeKernelCopy(copy: KernelCopy): Promise<void> {
  await copy.flushed
  await copy.fh.close().catch(() => undefined)
}

export interface FileDestination extends Destination {
  readonly kind: 'file'
  /** Absolute path of the destination root (ROOT/LIBRARY/FOLDER). */
  readonly root: string
  putFiles(files: readonly BatchFile[], options: BatchPutOptions): Promise<BatchOutcome[]>
  readonly batchFileMax: number
  readonly batchWindow: number
}

export function createFileDestination(options: FileDestinationOptions): FileDestination {
  const rootDir = path.resolve(options.rootDir)
  const root = path.join(rootDir, ...[options.library, options.folder].filter((p): p is string => !!p).flatMap((p) => p.split(/[\\/]+/)).filter(Boolean))
  const abs = (rel: string) => (rel === '' ? root : PLAIN_REL.test(rel) ? root + path.sep + (path.sep === '/' ? rel : rel.replaceAll('/', path.sep)) : path.join(root, ...rel.split('/')))
  const names = new TempNames(options.tempTag, options.taskId)
  const pool = new SmallFilePool(options.workers, names.prefix)
  const sync = options.fsync !== false
  /** Folders batches renamed files into, flushed by settle() rather than after each batch. */
  const settler = new FolderSettler()

  async function open_(): Promise<void> {
    pool.warm()
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
      const probe = path.join(root, `${names.prefix}probe-${randomBytes(4).toString('hex')}`)
      await writeFile(probe, '')
      await unlink(probe)
    } catch (err) {
      const e = destError(err, root)
      if (e.code === 'DEST_ACCESS') throw new DestinationError(`destination ${root} cannot be written (permission denied): fix its permissions`, 'task', 'DEST_READ_ONLY', true, { cause: err })
      throw e.scope === 'task' ? e : new DestinationError(`destination ${root} cannot be written: ${e.message}`, 'task', e.code, true, { cause: err })
    }
  }

  /**
   * A scan's destination check: the same write-and-remove as open(), but in the nearest folder that
   * already exists on the way to ROOT/LIBRARY/FOLDER, so a scan creates nothing.
   */
  async function probe(): Promise<string> {
    const st = await stat(rootDir).catch(() => null)
    if (!st) throw new Error(`destination folder ${rootDir} does not exist or cannot be reached: create or mount it, or correct the file:// URL`)
    if (!st.isDirectory()) throw new Error(`destination ${rootDir} is not a folder: point the file:// URL at a folder`)
    let dir = root
    while (dir !== rootDir && !(await stat(dir).then((s) => s.isDirectory(), () => false))) dir = path.dirname(dir)
    const name = path.join(dir, `${names.prefix}probe-${randomBytes(4).toString('hex')}`)
    try {
      await writeFile(name, '', { flag: 'wx' })
      await unlink(name)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      throw new Error(`destination ${dir} cannot be written${code ? ` (${code})` : ''}: fix its permissions or mount it read-write`, { cause: err })
    }
    return `wrote and removed a test file in ${dir}`
  }

  async function list(relFolder: string): Promise<Map<string, DestinationEntry> | null> {
    const dir = abs(relFolder)
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return null
      throw destError(err, dir)
    }
    const out = new Map<string, DestinationEntry>()
    const stale: string[] = []
    const todo = entries.filter((d) => {
      if (!d.name.startsWith(TEMP_PREFIX)) return true
      // Ours: a leftover of a run that is over is deleted, one of this process's in flight is hidden. Any
      // other name is listed as it is: another agent's file in flight, or a user's that looks like one.
      const ours = names.classify(d.name)
      if (ours === null) return true
      if (ours === 'leftover') stale.push(d.name)
      return false
    })
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
      const created = await mkdirp(dir)
      // A new folder's name is flushed in its parent (and so on up to the first one created): the files
      // renamed into it later are flushed with their folder, and would be lost with it otherwise.
      if (sync && created) for (let at = dir; at.length >= created.length; at = path.dirname(at)) await syncFolder(path.dirname(at), dir)
    } catch (err) {
      throw destError(err, dir)
    }
  }

  async function putFile(relPath: string, source: SourceFile, opts: PutOptions): Promise<PutResult> {
    const final = abs(relPath)
    opts.signal.throwIfAborted()
    if (source.size <= SMALL_FILE) {
      if (options.throttle?.active) await options.throttle.take(source.size, opts.signal)
      // A small file is written, verified and renamed in one worker step (the worker picks the temp name):
      // the lease check and the abort check come just before the job leaves for the worker.
      const r = await pool.run({ src: source.localPath, final, size: source.size, mtimeMs: source.mtimeMs, overwrite: opts.overwrite, fsync: sync, dev: source.dev, ino: source.ino }, opts)
      if (!r.ok) throw smallFileError(r, final, source.localPath)
      opts.onProgress?.(r.size)
      return { size: r.size, hash: hex64(r.hash), hashAlgorithm: 'xxh64' }
    }
    return putLarge(final, path.join(path.dirname(final), `${names.prefix}L${randomBytes(8).toString('hex')}`), source, opts)
  }

  /**
   * Small files in batches: each folder's files go to one worker in one message (file-pool.ts runBatch),
   * so the main thread pays one round trip per batch instead of one promise chain per file.
   */
  async function putFiles(files: readonly BatchFile[], opts: BatchPutOptions): Promise<BatchOutcome[]> {
    const out: BatchOutcome[] = new Array(files.length)
    const byFolder = new Map<string, number[]>()
    const finals = files.map((f, i) => {
      if (f.source.size > SMALL_FILE) throw new RangeError(`putFiles takes files up to ${SMALL_FILE} bytes: ${f.relPath} has ${f.source.size}`)
      const final = abs(f.relPath)
      // The pool's own notion of a folder: one worker per folder, one message per folder.
      const dir = folderOf(final)
      const at = byFolder.get(dir)
      if (at) at.push(i)
      else byFolder.set(dir, [i])
      return final
    })
    await Promise.all(
      [...byFolder.values()].map(async (idx) => {
        // A worker writes the whole batch at once: its bytes are paid for before it goes.
        if (options.throttle?.active) await options.throttle.take(idx.reduce((sum, i) => sum + files[i]!.source.size, 0), opts.signal)
        const results = await pool.runBatch(
          idx.map((i) => {
            const f = files[i]!
            return { src: f.source.localPath, final: finals[i]!, size: f.source.size, mtimeMs: f.source.mtimeMs, overwrite: f.overwrite, fsync: sync, dev: f.source.dev, ino: f.source.ino }
          }),
          opts,
          /* flushFolders: settle() does, once a pass */ false,
        )
        if (sync && results.some((r) => r.ok)) settler.add(path.dirname(finals[idx[0]!]!))
        idx.forEach((i, k) => {
          const r = results[k]!
          out[i] = r.ok ? { ok: true, result: { size: r.size, hash: hex64(r.hash), hashAlgorithm: 'xxh64' } } : { ok: false, error: r.kind === 'stopped' ? stopReason(opts) : smallFileError(r, finals[i]!, files[i]!.source.localPath) }
        })
      }),
    )
    return out
  }

  async function putLarge(final: string, tmp: string, source: SourceFile, opts: PutOptions): Promise<PutResult> {
    const api = await xxhashApi()
    // No link followed, no FIFO waited on, and only the file the listing saw (source-read.ts).
    const { handle: src, stat: before } = await openSource(source)
    let wroteTmp = false
    try {
      if (before.size !== source.size || Math.abs(before.mtimeMs - source.mtimeMs) > 1) throw changedWhileReading(source.localPath)
      wroteTmp = true
      let result: { size: number; hash: bigint }
      const throttled = options.throttle?.active === true
      const kernel = !throttled && source.size <= KERNEL_COPY_MAX && (await reachableByFd(src, before))
      const copied = kernel ? await kernelCopy(src, before, source.localPath, tmp, final, opts) : null
      try {
        const { size, hash } = copied ?? (await streamCopy(src, source.localPath, tmp, final, api.create64(), opts, sync, source.mtimeMs, throttled ? options.throttle : undefined))
        const after = await src.stat()
        if (after.size !== before.size || after.mtimeMs !== before.mtimeMs || size !== before.size) throw changedWhileReading(source.localPath)
        await src.close().catch(() => undefined)
        if (copied) await finishKernelCopy(copied, final, source.mtimeMs)
        else {
          // Verify what is on disk, not what we meant to write: re-read by name on a worker thread.
          const check = await pool.hashFile(tmp)
          if (!check.ok) throw destError(Object.assign(new Error(check.message), { code: check.code }), final)
          if (check.size !== size || check.hash !== hash) throw new DestinationError(`verification failed for ${final}: the written copy differs from what was read`, 'item', 'VERIFY_FAILED', true)
        }
        result = { size, hash }
      } finally {
        if (copied) await closeKernelCopy(copied)
      }
      const { size, hash } = result
      try {
        if (!opts.overwrite) {
          const exists = await lstat(final).then(() => true, () => false)
          if (exists) throw new DestinationError(`${final} appeared at the destination while copying; left alone`, 'item', 'DEST_EXISTS', true)
        } else {
          const now = await lstat(final).catch(() => null)
          if (now && now.mtimeMs > source.mtimeMs + 1) throw destinationBecameNewer(final)
        }
        opts.signal.throwIfAborted()
        opts.beforeCommit?.()
        await rename(tmp, final)
      } catch (err) {
        throw destError(err, final)
      }
      wroteTmp = false
      // The new name on disk too.
      if (sync) await syncFolder(path.dirname(final), final)
      opts.onProgress?.(size)
      return { size, hash: hex64(hash), hashAlgorithm: 'xxh64' }
    } finally {
      await src.close().catch(() => undefined)
      if (wroteTmp) await unlink(tmp).catch(() => undefined)
    }
  }

  /**
   * The kernel copies (copy_file_range through fs.copyFile: no bytes pass through this process) from the
   * checked descriptor (PROC_FD in file-io.ts: never from the source's path), then two workers hash the source
   * through the same descriptor and the copy by name (xxh64); they must match. That is the same check as
   * hashing while streaming: the copy is compared with what the source holds, and the caller's size and
   * mtime check before the copy and after both hashes catches a source that changed.
   *
   * The copy's flush (fdatasync) starts as soon as the kernel has copied, while the hashes run: they only
   * read. Started after them, the disk sat idle during the hashing and the flush of 10 × 100 MB began only
   * once every file was hashed (measured in BENCHMARKS.md, issue 18). The flush still ends before the
   * source's times are set and before the rename (finishKernelCopy).
   */
  async function kernelCopy(src: FileHandle, opened: Stats, label: string, tmp: string, final: string, opts: PutOptions): Promise<KernelCopy> {
    const byFd = `/proc/self/fd/${src.fd}`
    let fh: FileHandle
    try {
      await copyFile(byFd, tmp, fsc.COPYFILE_EXCL)
      fh = await open(tmp, fsc.O_RDWR | (fsc.O_NOFOLLOW ?? 0))
    } catch (err) {
      throw destError(err, final)
    }
    const flushed = sync ? fh.datasync().then(() => null, (err: unknown) => err) : Promise.resolve(null)
    const copy: KernelCopy = { fh, flushed, size: 0, hash: 0n }
    try {
      opts.signal.throwIfAborted()
      const [s, d] = await Promise.all([pool.hashFd(src.fd, label), pool.hashFile(tmp)])
      if (!s.ok) throw sourceError(Object.assign(new Error(s.message), { code: s.code }), label)
      if (!d.ok) throw destError(Object.assign(new Error(d.message), { code: d.code }), final)
      if (s.size !== d.size || s.hash !== d.hash) {
        // The source read twice (by the kernel, then by the hash) may simply have changed in between: say
        // so (retried, then "kept changing"), not that the copy is bad.
        const now = await src.stat().catch(() => null)
        if (!now || now.size !== opened.size || now.mtimeMs !== opened.mtimeMs) throw changedWhileReading(label)
        throw new DestinationError(`verification failed for ${final}: the written copy differs from the source`, 'item', 'VERIFY_FAILED', true)
      }
      opts.onProgress?.(s.size)
      copy.size = s.size
      copy.hash = s.hash
      return copy
    } catch (err) {
      await closeKernelCopy(copy)
      throw err
    }
  }

  /**
   * Mode, data flush and times of a kernel copy, on its descriptor: the times come after the read-back
   * (which would touch atime) and after the fdatasync has ended, so the source's modified time only ever
   * sits on bytes that are on disk.
   */
  async function finishKernelCopy(copy: KernelCopy, final: string, mtimeMs: number): Promise<void> {
    try {
      // copyFile copies the source's mode; a copy made here is 0644 like every other.
      await copy.fh.chmod(0o644)
      const err = await copy.flushed
      if (err) throw err
      await copy.fh.utimes(new Date(), mtimeMs / 1000)
    } catch (err) {
      throw destError(err, final)
    }
  }

  return {
    kind: 'file',
    root,
    open: open_,
    probe,
    displayPath: abs,
    list: (rel) => list(rel),
    ensureFolder: (rel) => ensureFolder(rel),
    putFile,
    putFiles,
    batchFileMax: SMALL_FILE,
    batchWindow: BATCH_WINDOW,
    settle: (signal) => settler.settle(signal),
    close: async () => {
      names.release()
      await pool.close()
    },
  }
}
