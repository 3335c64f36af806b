/**
 * `task import`: Migration Manager's bulk formats (the 6-column CSV and the `{"Tasks":[...]}` JSON).
 * All-or-nothing: the result holds either every task or every bad record as `FILE:ROW: what is wrong`.
 */
import { parseCsvImport } from './import-csv.ts'
import { parseJsonImport } from './import-json.ts'

import { MAX_IMPORT_BYTES, type ImportResult } from './import-common.ts'
import { finish, type Steps } from './steps.ts'

export { MAX_IMPORT_BYTES, MAX_IMPORT_TASKS, duplicateKey, type ImportResult } from './import-common.ts'

/** Byte offset of the first byte that breaks UTF-8, or -1 when all of it is well-formed. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0
  const n = bytes.length
  while (i < n) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
      continue
    }
    let need: number
    let min: number
    if (b >= 0xc2 && b <= 0xdf) (need = 1), (min = 0x80)
    else if (b >= 0xe0 && b <= 0xef) (need = 2), (min = 0x800)
    else if (b >= 0xf0 && b <= 0xf4) (need = 3), (min = 0x10000)
    else return i
    let cp = b & (0x3f >> need)
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]
      if (c === undefined || (c & 0xc0) !== 0x80) return i
      cp = (cp << 6) | (c & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i
    i += need + 1
  }
  return -1
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++
  return line
}

/** Turns the file's bytes into text, refusing what is not UTF-8 with the fix Excel users need. */
export function decodeUtf8(fileName: string, content: Uint8Array | string): { ok: true; text: string } | { ok: false; error: string } {
  if (typeof content === 'string') return { ok: true, text: content.replace(/^\uFEFF/, '') }
  const fix = 'save it as UTF-8 (in Excel: Save As "CSV UTF-8 (Comma delimited)")'
  if (content.length >= 2 && ((content[0] === 0xff && content[1] === 0xfe) || (content[0] === 0xfe && content[1] === 0xff))) {
    return { ok: false, error: `${fileName}:1: the file is UTF-16; ${fix}` }
  }
  // UTF-16 without a BOM shows as NUL bytes between ASCII letters; plain text never holds NUL.
  const nul = content.indexOf(0)
  if (nul >= 0) {
    return { ok: false, error: `${fileName}:${lineAt(content, nul)}: the file holds NUL bytes (UTF-16 or a binary file); ${fix}` }
  }
  let bytes = content
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3)
  const bad = firstInvalidUtf8(bytes)
  if (bad >= 0) {
    const byte = bytes[bad]!.toString(16).toUpperCase().padStart(2, '0')
    return { ok: false, error: `${fileName}:${lineAt(bytes, bad)}: byte 0x${byte} is not UTF-8 (the file looks like Latin-1/Windows-1252); ${fix}` }
  }
  return { ok: true, text: new TextDecoder('utf-8').decode(bytes) }
}

function looksLikeJson(fileName: string, text: string): boolean {
  if (/\.json$/i.test(fileName)) return true
  if (/\.(csv|txt)$/i.test(fileName)) return false
  return /^\s*[{[]/.test(text)
}

/** Reads an import file at once. */
export function parseImport(fileName: string, content: Uint8Array | string): ImportResult {
  return finish(parseImportSteps(fileName, content))
}

/** Reads an import file a slice of rows at a time (import-common.ts Steps), for an agent that must keep answering. */
export function* parseImportSteps(fileName: string, content: Uint8Array | string): Steps<ImportResult> {
  const size = typeof content === 'string' ? content.length : content.byteLength
  if (size > MAX_IMPORT_BYTES) {
    const mb = (size / (1024 * 1024)).toFixed(1)
    return { ok: false, errors: [`${fileName}: the file is ${mb} MB; import at most ${MAX_IMPORT_BYTES / (1024 * 1024)} MB at a time (split it into several files)`] }
  }
  const decoded = decodeUtf8(fileName, content)
  if (!decoded.ok) return { ok: false, errors: [decoded.error] }
  const text = decoded.text
  if (text.trim() === '') return { ok: false, errors: [`${fileName}: the file is empty; give one task per row (CSV) or {"Tasks":[...]} (JSON)`] }
  return yield* looksLikeJson(fileName, text) ? parseJsonImport(fileName, text) : parseCsvImport(fileName, text)
}
