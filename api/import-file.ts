/**
 * Reads a task import file for `mmesh task import` and the fleet view's import, checking it before it is
 * read whole: an import is at most MAX_IMPORT_BYTES, so a larger file (a wrong path to a disk image, a
 * sparse file of terabytes) is refused from its size alone instead of being loaded into memory, and a
 * FIFO or device (`/dev/zero`) is refused instead of blocking or reading forever. The file is opened once
 * and checked through that descriptor, so what is read is what was checked; at most the limit plus one
 * byte is read even if the file grows meanwhile.
 */
import { constants, type Stats } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { MAX_IMPORT_BYTES } from '../protocol/import-common.ts'
import { CliError, EXIT } from './errors.ts'

export interface ImportFile {
  fileName: string
  content: Buffer
}

const mb = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MB`

function tooLarge(file: string, bytes: number, limit: number): CliError {
  return new CliError(`${file}: the file is ${mb(bytes)}; import at most ${limit / (1024 * 1024)} MB at a time (split it into several files)`, EXIT.badInput)
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory'
  if (st.isFIFO()) return 'a FIFO'
  if (st.isSocket()) return 'a socket'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device'
  return 'something else'
}

export async function readImportFile(file: string, limit = MAX_IMPORT_BYTES): Promise<ImportFile> {
  let fh: FileHandle
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer.
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CliError(`cannot read ${file} (${code ?? 'error'}): check the path`, EXIT.badInput)
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new CliError(`${file} is ${kindOf(st)}, not a file: give the CSV or JSON file itself`, EXIT.badInput)
    if (st.size > limit) throw tooLarge(file, st.size, limit)
    // Read to the end (the file may have changed since fstat), never past the limit plus one byte.
    const chunks: Buffer[] = []
    let total = 0
    let want = st.size + 1
    while (total <= limit) {
      const chunk = Buffer.alloc(Math.min(Math.max(want, 64 * 1024), limit + 1 - total))
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, total)
      if (bytesRead === 0) break
      chunks.push(chunk.subarray(0, bytesRead))
      total += bytesRead
      want = 1024 * 1024
    }
    if (total > limit) throw tooLarge(file, total, limit)
    const content = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)
    return { fileName: path.basename(file), content }
  } catch (err) {
    if (err instanceof CliError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new CliError(`cannot read ${file} (${code ?? 'error'}): check the path`, EXIT.badInput)
  } finally {
    await fh.close().catch(() => {})
  }
}
