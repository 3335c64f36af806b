/**
 * A destination entry from what SharePoint says of one file or folder, the same whether it came from a
 * folder's own listing or from the recursive read (tree.ts): who counts as "this app", what is a partial
 * upload, which files compare by time only.
 */
import type { DestinationEntry } from '../../engine/destination.ts'
import { OFFICE_EXT } from './upload.ts'

export interface RawEntry {
  name: string
  isFolder: boolean
  size: number
  /** ISO times as SharePoint sends them */
  modified: string
  created: string
  /** login (claims) name of the last editor, '' when not known */
  editor: string
}

/** `hint`: this app's client id or the signed-in UPN, lower case ('' = unknown, nothing is ours). */
export function toEntry(raw: RawEntry, hint: string): DestinationEntry {
  const mtimeMs = Date.parse(raw.modified)
  if (raw.isFolder) return { name: raw.name, isFolder: true, size: 0, mtimeMs, partial: false }
  const ours = hint !== '' && raw.editor.toLowerCase().includes(hint)
  // an upload session's empty stub: ours, zero bytes, never given source times (created == modified)
  const stub = ours && raw.size === 0 && Math.abs(mtimeMs - Date.parse(raw.created)) < 1000
  return { name: raw.name, isFolder: false, size: raw.size, mtimeMs, partial: stub, mtimeOnly: OFFICE_EXT.test(raw.name), writtenByThisApp: ours }
}

/** How a folder path is looked up: SharePoint matches names case-insensitively and NFC-normalised. */
export function folderKey(rel: string): string {
  return rel.replace(/^\/+|\/+$/g, '').normalize('NFC').toLowerCase()
}
