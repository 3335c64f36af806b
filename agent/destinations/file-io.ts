/**
 * The file:// destination's own I/O steps, apart from its Destination object (file.ts): the kernel copy's
 * /proc check, folder flushes, folder creation, the streamed copy of large files, and the errors a put
 * answers with.
 */
import { constants as fsc, existsSync, type Stats } from 'node:fs'
import { lstat, mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { DestinationError, type BatchPutOptions, type PutOptions } from '../engine/destination.ts'
import { changedWhileReading, destError, sourceError, swappedSource } from './file-errors.ts'
import { gateError, type SmallCopyResult } from './file-pool.ts'
import { ERROR_CODES } from '../../protocol/classify.ts'
import type { Throttle } from '../throttle/token-bucket.ts'

const CHUNK = 1 << 20
/**
 * The kernel copy reads the source through /proc/self/fd/N, the descriptor opened and checked here: fs.copyFile
 * takes paths and follows links, so given the source's own path it could read whatever was swapped in
 * between the check and its open (checking the path again afterwards cannot see a swap that was undone in
 * between). Opening /proc/self/fd/N reaches the inode the descriptor holds, whatever its name points at.
 * Where there is no /proc, large files are streamed from the descriptor instead.
 */
const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd')

/**
 * The kernel copy may read through /proc/self/fd/N: there is such a path, and it leads to the very file
 * opened (it always does where /proc is procfs; otherwise the file is streamed from the descriptor).
 */
export async function reachableByFd(src: FileHandle, opened: Stats): Promise<boolean> {
  if (!PROC_FD) return false
  const via = await stat(`/proc/self/fd/${src.fd}`).catch(() => null)
  return via !== null && via.dev === opened.dev && via.ino === opened.ino
}

/**
 * fsync of a folder after names in it changed. A file system that cannot fsync a folder (EINVAL, ENOTSUP:
 * some network and FUSE mounts) has nothing more to offer: not a failure. Otherwise the file is in place
 * but its name may not survive a power cut: it fails, not retried (the next round sees it).
 */
export async function syncFolder(dir: string, label: string): Promise<void> {
  let fh: FileHandle | null = null
  try {
    fh = await open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY)
    await fh.sync()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EINVAL' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EBADF') return
    throw notFlushed(err, label)
  } finally {
    await fh?.close().catch(() => undefined)
  }
}

export function notFlushed(err: unknown, label: string): DestinationError {
  const code = (err as NodeJS.ErrnoException).code
  return new DestinationError(`${label} is in place but its folder could not be flushed to disk (${code ?? (err instanceof Error ? err.message : String(err))}); it may not survive a power cut`, 'item', 'DEST_NOT_FLUSHED', false, { cause: err })
}

/**
 * mkdir -p that reports the real reason: Node's recursive mkdir says ENOENT on a read-only mount, so on
 * failure the levels are created one by one to surface EROFS/EACCES/ENOSPC. Answers the first folder it
 * created, if any.
 */
export async function mkdirp(dir: string): Promise<string | undefined> {
  try {
    return await mkdir(dir, { recursive: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const parts = dir.split(path.sep)
  let first: string | undefined
  for (let i = 2; i <= parts.length; i++) {
    const p = parts.slice(0, i).join(path.sep) || path.sep
    try {
      await mkdir(p)
      first ??= p
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
  return first
}

interface Hasher {
  update(input: Uint8Array): unknown
  digest(): bigint
}

/** Reads and writes overlap (double buffer): the next read runs while the last chunk is written. */
/** `throttle`: the agent's bandwidth limit (agent/throttle/token-bucket.ts), taken before each chunk is written. */
export async function streamCopy(src: FileHandle, where: string, tmp: string, label: string, h: Hasher, opts: PutOptions, sync: boolean, mtimeMs: number, throttle?: Throttle): Promise<{ size: number; hash: bigint }> {
  let out: FileHandle
  try {
    out = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | (fsc.O_NOFOLLOW ?? 0), 0o644)
  } catch (err) {
    throw destError(err, label)
  }
  try {
    let a = Buffer.allocUnsafe(CHUNK)
    let b = Buffer.allocUnsafe(CHUNK)
    let pos = 0
    let lastProgress = 0
    const read = (buf: Buffer, at: number) => src.read(buf, 0, CHUNK, at).then((r) => r.bytesRead, (err) => Promise.reject(sourceError(err, where)))
    let pending = read(a, 0)
    for (;;) {
      const n = await pending
      if (n === 0) break
      opts.signal.throwIfAborted()
      if (throttle) await throttle.take(n, opts.signal)
      const chunk = a.subarray(0, n)
      h.update(chunk)
      pending = read(b, pos + n)
      try {
        await out.write(chunk, 0, n, pos)
      } catch (err) {
        await pending.catch(() => undefined)
        throw destError(err, label)
      }
      pos += n
      ;[a, b] = [b, a]
      const now = Date.now()
      if (opts.onProgress && now - lastProgress > 250) {
        lastProgress = now
        opts.onProgress(pos)
      }
    }
    // The data on disk first, then the source's times (on the open handle: one call fewer than utimes by
    // path, and the verify re-read keeps them): those times never sit on bytes that are not durable.
    if (sync) await out.datasync().catch((err) => Promise.reject(destError(err, label)))
    await out.utimes(new Date(), mtimeMs / 1000).catch((err) => Promise.reject(destError(err, label)))
    return { size: pos, hash: h.digest() }
  } finally {
    await out.close().catch(() => undefined)
  }
}

/** The error a worker's answer stands for. */
export function smallFileError(r: Extract<SmallCopyResult, { ok: false }>, final: string, localPath: string): Error {
  const cause = Object.assign(new Error(r.message), { code: r.code })
  switch (r.kind) {
    case 'source': return sourceError(cause, localPath)
    case 'changed': return changedWhileReading(localPath)
    case 'swapped': return swappedSource(localPath, r.message)
    case 'unflushed': return notFlushed(cause, final)
    case 'verify': return new DestinationError(`verification failed for ${final}: the written copy differs from what was read`, 'item', 'VERIFY_FAILED', true)
    case 'exists': return new DestinationError(`${final} appeared at the destination while copying; left alone`, 'item', 'DEST_EXISTS', true)
    case 'newer': return destinationBecameNewer(final)
    default: return destError(cause, final)
  }
}

/** Why a batch stopped committing: the abort, or the failing lease check, as putFile would have thrown it. */
export function stopReason(opts: BatchPutOptions): unknown {
  // The check failed once and may pass now: the file was still not committed; it may be tried again.
  return gateError(opts) ?? new DestinationError('stopped before it was committed', 'item', 'STOPPED', true)
}

/** A file replaced only because it was older was saved again meanwhile, newer than the source: it stays. */
export function destinationBecameNewer(final: string): DestinationError {
  return new DestinationError(`${final} was changed at the destination while copying and is now newer than the source; left alone`, 'item', ERROR_CODES.destinationNewer, false)
}
