/** Maps filesystem errors to what they mean for a task (one item, or every item). */
import { DestinationError } from '../engine/destination.ts'
import { ERROR_CODES } from '../../protocol/classify.ts'

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : ''
}

/** An error while writing at the destination. */
export function destError(err: unknown, target: string): DestinationError {
  if (err instanceof DestinationError) return err
  const code = codeOf(err)
  const reason = err instanceof Error ? err.message : String(err)
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new DestinationError(`destination is full writing ${target}: free space there`, 'task', 'DEST_FULL', true, { cause: err })
    case 'EROFS':
      return new DestinationError(`destination is read-only (${target}): remount it read-write or pick another folder`, 'task', 'DEST_READ_ONLY', true, { cause: err })
    case 'EACCES':
    case 'EPERM':
      return new DestinationError(`permission denied writing ${target}`, 'item', 'DEST_ACCESS', false, { cause: err })
    case 'ENAMETOOLONG':
      return new DestinationError(`name too long for the destination filesystem: ${target}`, 'item', ERROR_CODES.pathTooLong, false, { cause: err })
    case 'ENOTDIR':
    case 'EISDIR':
    case 'EEXIST':
      return new DestinationError(`a different kind of item is in the way at ${target}`, 'item', 'DEST_CONFLICT', false, { cause: err })
    default:
      return new DestinationError(`cannot write ${target}: ${reason}`, 'item', code || 'DEST_ERROR', true, { cause: err })
  }
}

/** An error while reading the source (the destination reads it as it streams the file in). */
export function sourceError(err: unknown, source: string): DestinationError {
  if (err instanceof DestinationError) return err
  const code = codeOf(err)
  const what = code === 'ENOENT' ? 'no longer exists' : code === 'EACCES' || code === 'EPERM' ? 'cannot be read (permission denied)' : `cannot be read (${code || (err instanceof Error ? err.message : String(err))})`
  return new DestinationError(`source ${source} ${what}`, 'item', ERROR_CODES.cannotAccessSource, code !== 'ENOENT' && code !== 'EACCES' && code !== 'EPERM', { cause: err })
}

export function changedWhileReading(source: string): DestinationError {
  return new DestinationError(`source ${source} changed while it was read`, 'item', ERROR_CODES.changedWhileReading, true)
}

/** What a file-system entry is, in words, from its mode (lstat or fstat). */
export function describeMode(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean }): string {
  if (st.isFile()) return 'a regular file'
  if (st.isDirectory()) return 'a folder'
  if (st.isSymbolicLink()) return 'a symbolic link'
  if (st.isFIFO()) return 'a FIFO (named pipe)'
  if (st.isSocket()) return 'a socket'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isCharacterDevice()) return 'a character device'
  return 'a special file'
}

/**
 * The source is not what the listing saw (a link, a FIFO, a device or another file was swapped in since):
 * the item fails, not retried, and nothing of it is read. `now`: what is there now, in words.
 */
export function swappedSource(source: string, now: string): DestinationError {
  return new DestinationError(`source ${source} changed between listing and reading: it is now ${now}; it was not read`, 'item', ERROR_CODES.cannotAccessSource, false)
}
