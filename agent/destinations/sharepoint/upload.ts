/**
 * Putting one file into a library: one request for small files, an upload session (empty stub, then
 * session.ts: startUpload, continueUpload…, finishUpload, each failed chunk resumed where the session
 * stands) for large ones, then Created/Modified (and Author/Editor) through validateUpdateListItem in the
 * site's regional format. A failed session is cancelled and its stub deleted, so nothing half-written
 * looks like a finished file.
 */
import type { SPFI } from '@pnp/sp'
import { Item } from '@pnp/sp/items/index.js'
import '@pnp/sp/webs/index.js'
import '@pnp/sp/folders/index.js'
import '@pnp/sp/files/index.js'
import type { IFileInfo } from '@pnp/sp/files/index.js'
import { QuickXorHash } from '../../../protocol/quickxor.ts'
import { signalBehavior } from './behaviors.ts'
import { DestinationError, type PutOptions, type SourceFile } from '../../engine/destination.ts'
import { openSource } from '../source-read.ts'
import { uploadInSession, type UploadContext } from './session.ts'

export const OFFICE_EXT = /\.(doc[xm]|dot[xm]|xls[xmb]|xlt[xm]|ppt[xm]|pot[xm]|pps[xm]|vsd[xm]|one)$/i

/** SharePoint's changedWhileReading code, as the engine uses it */
const CHANGED_WHILE_READING = '0x02080001'

export type { UploadContext }

export interface Uploaded {
  info: IFileInfo
  bytes: number
  /** QuickXorHash of the bytes sent (null when a one-request upload went without one) */
  hash: string | null
  /** the file went through an upload session: the service's own record of it is worth checking */
  chunked: boolean
}

function changed(path: string, expected: number, got: number): DestinationError {
  return new DestinationError(`${path} changed while it was read (${expected} bytes expected, ${got} read)`, 'item', CHANGED_WHILE_READING, true)
}

/** Uploads the bytes; on any failure of a chunked upload, cancels the session and deletes the stub. */
export async function uploadContent(
  ctx: UploadContext, folderUrl: string, name: string, source: SourceFile, opts: PutOptions & { overwrite: boolean },
): Promise<Uploaded> {
  const folder = ctx.sp.web.getFolderByServerRelativePath(folderUrl).using(signalBehavior(opts.signal))
  // The source is opened without following a link or blocking, and read only if it is the regular file
  // the listing saw (source-read.ts); every byte sent comes through this descriptor.
  const { handle } = await openSource(source)
  if (source.size <= ctx.smallFileLimit) {
    let bytes: Buffer
    try {
      bytes = await handle.readFile()
    } finally {
      await handle.close().catch(() => undefined)
    }
    if (bytes.length !== source.size) throw changed(source.localPath, source.size, bytes.length)
    // SharePoint checks the QuickXorHash passed with a one-request upload against what it received
    const hash = ctx.quickXorHash ? await ctx.quickXorHash(source.localPath, opts.signal) : await hashOf(bytes)
    await ctx.throttle?.take(bytes.length, opts.signal)
    opts.beforeCommit?.()
    const info = await folder.files.addUsingPath(name, bytes as unknown as ArrayBuffer, { Overwrite: opts.overwrite, ...(hash ? { XorHash: hash } : {}) })
    opts.onProgress?.(bytes.length)
    return { info, bytes: bytes.length, hash, chunked: false }
  }
  const live: { uploadId: string | null } = { uploadId: null }
  let stubUrl: string | null = null
  try {
    // the empty stub the session fills (with Overwrite it replaces the old content at once, as PnPjs addChunked did)
    const stub = await folder.files.addUsingPath(name, new Uint8Array(0) as unknown as ArrayBuffer, { Overwrite: opts.overwrite })
    stubUrl = stub.ServerRelativeUrl
    const got = await uploadInSession(ctx, stubUrl, handle, source, opts, live)
    return { info: got.info, bytes: got.bytes, hash: got.hash, chunked: true }
  } catch (err) {
    // the session cannot be finished: drop it and the stub, and let the caller decide what next
    if (stubUrl) await discardStub(ctx, stubUrl, live.uploadId)
    throw err
  } finally {
    await handle.close().catch(() => undefined)
  }
}

/** QuickXorHash of the very bytes sent, in 1 MiB slices with a yield between them (10 MiB would hold the loop ~50 ms). */
async function hashOf(bytes: Uint8Array): Promise<string> {
  const h = new QuickXorHash()
  const slice = 1024 * 1024
  for (let at = 0; at < bytes.length; at += slice) {
    if (at > 0) await new Promise((r) => setImmediate(r))
    h.update(bytes.subarray(at, at + slice))
  }
  return h.digest()
}

export async function discardStub(ctx: UploadContext, url: string, uploadId: string | null): Promise<void> {
  const file = ctx.sp.web.getFileByServerRelativePath(url)
  if (uploadId) await file.cancelUpload(uploadId).catch((e: unknown) => ctx.log?.({ url, err: String(e) }, 'cancelUpload failed'))
  await file.delete().catch((e: unknown) => ctx.log?.({ url, err: String(e) }, 'could not delete the upload stub'))
}

export interface FieldResult {
  FieldName: string
  HasException: boolean
  ErrorMessage: string | null
}

/** validateUpdateListItem on the file's item, without a new version; returns each field's result. */
export async function setFields(sp: SPFI, fileUrl: string, values: { FieldName: string; FieldValue: string }[]): Promise<FieldResult[]> {
  const file = sp.web.getFileByServerRelativePath(fileUrl)
  const item = Item(file, 'listItemAllFields')
  const res = (await item.validateUpdateListItem(values, true)) as unknown as FieldResult[]
  return Array.isArray(res) ? res : []
}
