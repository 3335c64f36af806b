/**
 * Opening a source file to read it, for every destination: without following a symbolic link (O_NOFOLLOW),
 * without blocking (O_NONBLOCK: a FIFO swapped in after the listing opens at once instead of waiting for a
 * writer), then fstat on the descriptor: only a regular file with the device and inode the listing saw is
 * read. Anything else fails the item with "changed between listing and reading: it is now …". A folder of
 * the path swapped for a link is caught the same way: the file reached through it is another inode.
 * file-worker.js does the same with synchronous calls (readSource there).
 */
import { constants as fsc, type Stats } from 'node:fs'
import { lstat, open, type FileHandle } from 'node:fs/promises'
import type { SourceFile } from '../engine/destination.ts'
import { describeMode, sourceError, swappedSource } from './file-errors.ts'

/** open(2) flags for reading a source file (0 where the platform has no such flag). */
export const SOURCE_OPEN_FLAGS = fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0) | (fsc.O_NONBLOCK ?? 0)

/** Checks an open source against the listing: a regular file, the same device and inode. Throws swappedSource. */
export function checkOpened(st: Stats, source: Pick<SourceFile, 'localPath' | 'dev' | 'ino'>): void {
  if (!st.isFile()) throw swappedSource(source.localPath, describeMode(st))
  if (source.ino !== undefined && source.dev !== undefined && (st.ino !== source.ino || st.dev !== source.dev)) throw swappedSource(source.localPath, 'a different file')
}

/** Opens a source file for reading, checked (see above). The caller closes the handle. */
export async function openSource(source: Pick<SourceFile, 'localPath' | 'dev' | 'ino'>): Promise<{ handle: FileHandle; stat: Stats }> {
  let handle: FileHandle
  try {
    handle = await open(source.localPath, SOURCE_OPEN_FLAGS)
  } catch (err) {
    // O_NOFOLLOW on a symbolic link says ELOOP, a socket ENXIO: say what is there instead.
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT') {
      const st = await lstat(source.localPath).catch(() => null)
      if (st && !st.isFile()) throw swappedSource(source.localPath, describeMode(st))
    }
    throw sourceError(err, source.localPath)
  }
  try {
    const st = await handle.stat()
    checkOpened(st, source)
    return { handle, stat: st }
  } catch (err) {
    await handle.close().catch(() => undefined)
    throw sourceError(err, source.localPath)
  }
}
