/**
 * Putting one file into a library: one request for small files, an upload session (PnPjs addChunked:
 * empty stub, startUpload, continueUpload…, finishUpload) for large ones, then Created/Modified (and
 * Author/Editor) through validateUpdateListItem in the site's regional format. A failed session is
 * cancelled and its stub deleted, so nothing half-written looks like a finished file.
 */
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import type { SPFI } from '@pnp/sp'
import { Item } from '@pnp/sp/items/index.js'
import '@pnp/sp/webs/index.js'
import '@pnp/sp/folders/index.js'
import '@pnp/sp/files/index.js'
import type { IFileInfo, IFileUploadProgressData } from '@pnp/sp/files/index.js'
import { QuickXorHash } from '../../../protocol/quickxor.ts'
import { signalBehavior } from './behaviors.ts'
import { DestinationError, type PutOptions, type SourceFile } from '../../engine/destination.ts'
import { openSource } from '../source-read.ts'
import type { Throttle } from '../../throttle/token-bucket.ts'

export const OFFICE_EXT = /\.(doc[xm]|dot[xm]|xls[xmb]|xlt[xm]|ppt[xm]|pot[xm]|pps[xm]|vsd[xm]|one)$/i

/** SharePoint's changedWhileReading code, as the engine uses it */
const CHANGED_WHILE_READING = '0x02080001'

export interface UploadContext {
  sp: SPFI
  chunkSize: number
  smallFileLimit: number
  /**
   * A hash to send instead of the one of the bytes read (tests: a wrong one). Production passes none
   * (sharepoint-factory.ts). Whatever it does, the bytes uploaded are the ones read through the checked
   * descriptor; a hash that does not match them only makes SharePoint refuse the upload.
   */
  quickXorHash?: (localPath: string, signal: AbortSignal) => Promise<string>
  log?: (obj: object, msg: string) => void
  /** the agent's bandwidth limit: each chunk's bytes are taken from it before they are sent */
  throttle?: Throttle
}

export interface Uploaded {
  info: IFileInfo
  bytes: number
  hash: string | null
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
    return { info, bytes: bytes.length, hash }
  }
  let uploadId: string | null = null
  let stubUrl: string | null = null
  let read = 0
  // The stream owns the descriptor from here: it closes it at the end, or on destroy below.
  const nodeStream = createReadStream('', { fd: handle, highWaterMark: 1024 * 1024 })
  const web = Readable.toWeb(nodeStream) as unknown as ReadableStream<Uint8Array>
  const counted = web.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, controller) {
        read += chunk.byteLength
        // Paced as PnPjs pulls the bytes of each upload request, so a session runs at the agent's limit.
        await ctx.throttle?.take(chunk.byteLength, opts.signal)
        controller.enqueue(chunk)
      },
    }),
  )
  let lastProgress = 0
  try {
    const info = await folder.files.addChunked(name, counted as unknown as ReadableStream, {
      Overwrite: opts.overwrite,
      chunkSize: ctx.chunkSize,
      progress: (p: IFileUploadProgressData) => {
        uploadId = p.uploadId
        stubUrl = stubUrl ?? `${folderUrl}/${name}`
        if (p.stage === 'finishing') {
          if (read !== source.size) throw changed(source.localPath, source.size, read)
          opts.beforeCommit?.()
        }
        if (Date.now() - lastProgress > 250) {
          lastProgress = Date.now()
          opts.onProgress?.(Number(p.offset))
        }
      },
    })
    opts.onProgress?.(read)
    return { info, bytes: read, hash: null }
  } catch (err) {
    nodeStream.destroy() // PnPjs holds the reader; close the file ourselves
    // the session cannot say what it holds: drop it and the stub, and let the caller start again
    if (stubUrl) await discardStub(ctx, stubUrl, uploadId)
    throw err
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
