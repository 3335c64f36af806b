/**
 * One CSV report file written through csv-stringify into a file stream: UTF-8 with a BOM (Excel reads
 * the encoding from it), CRLF line ends, formula-like text cells escaped, control characters shown as
 * visible escapes, never written through a symbolic link, and backpressure honoured so a million rows
 * never sit in memory.
 */
import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { stringify } from 'csv-stringify'
import { escapeFormula, type Cell } from '../../protocol/report-rows.ts'
import { terminalSafeLines } from '../../protocol/terminal-text.ts'
import { WRITE_NO_FOLLOW } from './no-follow.ts'

// A file name from a share can hold escape sequences; a report is often read with cat or less.
const safeCell = (c: Cell): Cell => escapeFormula(typeof c === 'string' ? terminalSafeLines(c) : c)

export interface CsvFile {
  readonly path: string
  readonly rows: number
  write(row: readonly Cell[]): Promise<void>
  close(): Promise<void>
  /** Stops writing and leaves what was written; for error paths. */
  abort(err: Error): Promise<void>
}

export function openCsv(path: string, columns: readonly string[]): CsvFile {
  const stringifier = stringify({ bom: true, record_delimiter: 'windows' })
  const file = createWriteStream(path, { flags: WRITE_NO_FOLLOW as unknown as string })
  const done = pipeline(stringifier, file)
  // keep a rejection from surfacing as unhandled before close() awaits it
  done.catch(() => {})
  let failed: unknown = null
  done.catch((e: unknown) => {
    failed = e
  })
  let rows = 0

  async function put(cells: readonly Cell[]): Promise<void> {
    if (failed) throw failed
    if (!stringifier.write(cells.map(safeCell))) {
      await Promise.race([new Promise<void>((resolve) => stringifier.once('drain', resolve)), done])
      if (failed) throw failed
    }
  }

  const header = put(columns)
  return {
    path,
    get rows() {
      return rows
    },
    async write(row) {
      rows++
      await put(row)
    },
    async close() {
      await header
      stringifier.end()
      await done
    },
    async abort(err) {
      stringifier.destroy(err)
      await done.catch(() => {})
    },
  }
}
