/**
 * A large file through one SharePoint upload session (empty stub, startUpload, continueUpload…,
 * finishUpload), resumable chunk by chunk: when a chunk's request fails (connection cut or reset, a
 * 5xx, an answer lost), the session is asked where it stands (GetUploadStatus: ExpectedContentRange)
 * and only what it lacks is sent again, from the chunk still in memory. Only a lost session (expired,
 * cancelled by the service) starts the file over, in a new session on the same stub.
 *
 * Why our own loop and not PnPjs's addChunked: addChunked streams and forgets each chunk, so one
 * dropped request cost the whole file (and three such restarts failed it).
 *
 * The QuickXorHash is fed with exactly the bytes the session accepted, in order, so the caller can
 * compare it with the hash the service reports for the stored file.
 */
import type { Throttle } from '../../throttle/token-bucket.ts'
import { randomUUID } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { spPost, type SPFI } from '@pnp/sp'
import { File } from '@pnp/sp/files/index.js'
import type { IFile, IFileInfo } from '@pnp/sp/files/index.js'
import '@pnp/sp/webs/index.js'
import { QuickXorHash } from '../../../protocol/quickxor.ts'
import { DestinationError, type PutOptions, type SourceFile } from '../../engine/destination.ts'
import { signalBehavior } from './behaviors.ts'
import { backoffMs, sleep } from './pacing.ts'

/** SharePoint's changedWhileReading code, as the engine uses it */
const CHANGED_WHILE_READING = '0x02080001'

export interface SessionResult {
  info: IFileInfo
  bytes: number
  /** QuickXorHash of the bytes the session accepted */
  hash: string
  /** upload sessions used (1, or more when the service lost one) */
  sessions: number
  /** chunk requests that failed and were resumed from the session's offset */
  resumed: number
}

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
  /** a failure as the engine understands it (errors.ts, with the destination's context) */
  explain: (err: unknown, what: string) => DestinationError
  /** upload sessions one file may use before it fails: 2 = a lost session restarts the file once */
  sessionAttempts?: number
  /** tries of one chunk request (each failure asks the session where it stands) */
  chunkAttempts?: number
  /** the agent's bandwidth limit: each request's bytes are taken from it before they are sent (a resend too) */
  throttle?: Throttle
}

class SessionLost extends Error {}

const isHttp = (e: unknown): e is { status: number } => typeof e === 'object' && e !== null && (e as { isHttpRequestError?: boolean }).isHttpRequestError === true

/** Reads exactly `len` bytes at `pos`; fewer means the file shrank since it was listed. */
async function readAt(handle: FileHandle, pos: number, len: number, source: SourceFile): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len)
  let got = 0
  while (got < len) {
    const { bytesRead } = await handle.read(buf, got, len - got, pos + got)
    if (bytesRead === 0) throw changed(source, pos + got)
    got += bytesRead
  }
  return buf
}

function changed(source: SourceFile, got: number): DestinationError {
  return new DestinationError(`${source.localPath} changed while it was read (${source.size} bytes expected, ${got} read)`, 'item', CHANGED_WHILE_READING, true)
}

/** The first offset of ExpectedContentRange ("1048576-" or "1048576-2097151"), or null. */
export function expectedOffset(status: unknown): number | null {
  const range = String((status as { ExpectedContentRange?: unknown } | null)?.ExpectedContentRange ?? '')
  const m = /^\s*(\d+)/.exec(range)
  return m ? Number(m[1]) : null
}

/**
 * Uploads `source` (already opened as `handle`) into the stub at `fileUrl`. The caller made the stub and
 * removes it if this throws; `live.uploadId` names the session last used, for its cancelUpload.
 */
export async function uploadInSession(
  ctx: UploadContext, fileUrl: string, handle: FileHandle, source: SourceFile, opts: PutOptions, live: { uploadId: string | null } = { uploadId: null },
): Promise<SessionResult> {
  const signal = opts.signal
  const fileRef = ctx.sp.web.getFileByServerRelativePath(fileUrl).using(signalBehavior(signal))
  const size = source.size
  const chunkSize = ctx.chunkSize
  const maxSessions = Math.max(1, ctx.sessionAttempts ?? 2)
  const maxTries = Math.max(1, ctx.chunkAttempts ?? 6)
  let sessions = 0
  let resumed = 0
  let lastProgress = 0
  for (;;) {
    sessions++
    const id = randomUUID()
    live.uploadId = id
    const hash = new QuickXorHash()
    let offset = 0 // what the session holds
    let started = false
    let buf: Buffer = Buffer.alloc(0)
    let bufAt = 0
    /** the session now holds `to` bytes: hash what it took from the chunk in memory */
    const accepted = (to: number): void => {
      if (!Number.isSafeInteger(to) || to < offset || to > bufAt + buf.length) throw new SessionLost(`the session reports ${to} bytes, but ${offset} were sent and ${bufAt + buf.length} read`)
      if (to > offset) hash.update(buf.subarray(offset - bufAt, to - bufAt))
      offset = to
    }
    try {
      let tries = 0
      for (;;) {
        // the next request: startUpload (first chunk), continueUpload, or finishUpload (the rest, maybe empty)
        // a chunk taken in part is finished from memory, so chunks keep their 320 KiB boundaries
        const end = offset >= bufAt && offset < bufAt + buf.length ? bufAt + buf.length : Math.min(size, offset + chunkSize)
        const finishing = started && end === size
        if (offset < bufAt || end > bufAt + buf.length) {
          buf = await readAt(handle, offset, end - offset, source)
          bufAt = offset
        }
        // the transport sends a Buffer as is (transport.ts); BodyInit's typing does not list Buffer
        const body = buf.subarray(offset - bufAt, end - bufAt) as unknown as Uint8Array<ArrayBuffer>
        if (finishing) {
          // the file must not have grown since it was listed: what is committed is what was listed
          const more = await handle.read(Buffer.alloc(1), 0, 1, size)
          if (more.bytesRead !== 0) throw changed(source, size + 1)
          opts.beforeCommit?.()
        }
        await ctx.throttle?.take(body.length, signal)
        try {
          if (!started) {
            const n = Number(await spPost(File(fileRef, `startUpload(uploadId=guid'${id}')`), { body }))
            started = true
            accepted(n)
          } else if (finishing) {
            const info = (await spPost(File(fileRef, `finishUpload(uploadId=guid'${id}',fileOffset=${offset})`), { body: body.length ? body : '' })) as IFileInfo
            accepted(size)
            opts.onProgress?.(size)
            return { info, bytes: size, hash: hash.digest(), sessions, resumed }
          } else {
            accepted(Number(await spPost(File(fileRef, `continueUpload(uploadId=guid'${id}',fileOffset=${offset})`), { body })))
          }
          tries = 0
          if (Date.now() - lastProgress > 250) {
            lastProgress = Date.now()
            opts.onProgress?.(offset)
          }
          continue
        } catch (err) {
          if (signal.aborted || err instanceof SessionLost || err instanceof DestinationError) throw err
          const de = ctx.explain(err, `uploading ${fileUrl}`)
          // what hits every request (credentials, access, quota, throttled too long, host gone) is not the chunk's fault
          if (de.scope === 'task') throw de
          // refused for good (a name, a path): unless it is a started session's 400, which may only mean a wrong offset
          if (!de.retryable && !(started && isHttp(err) && err.status === 400)) throw de
          if (++tries > maxTries) throw de
          resumed++
          ctx.log?.({ url: fileUrl, offset, finishing, tries, err: de.message }, 'chunk failed; asking the session where it stands')
          await sleep(backoffMs(tries - 1, 200, 5_000), signal)
        }
        // where does the session stand? (the failed request may have been taken whole, in part, or not at all)
        const at = await sessionOffset(ctx, fileRef, id, signal, maxTries)
        if (at === null) {
          if (!started) continue // the session was never made: StartUpload again, same id
          if (finishing) {
            // the finish may have been carried out with its answer lost: then the stub holds the whole file
            const info = await committed(ctx, fileUrl, size, signal)
            if (info) {
              accepted(size)
              opts.onProgress?.(size)
              return { info, bytes: size, hash: hash.digest(), sessions, resumed }
            }
          }
          throw new SessionLost('the upload session is gone')
        }
        started = true
        accepted(at)
      }
    } catch (err) {
      if (!(err instanceof SessionLost) || signal.aborted) throw err
      if (sessions >= maxSessions) {
        throw new DestinationError(`SharePoint lost the upload session of ${fileUrl} ${sessions} times (${err.message}); the next run tries it again`, 'item', 'UPLOAD_SESSION_LOST', false, { cause: err })
      }
      ctx.log?.({ url: fileUrl, sessions, err: err.message }, 'upload session lost; starting the file again in a new one')
      opts.onProgress?.(0)
    }
  }
}

/** The session's offset (GetUploadStatus), or null when SharePoint no longer knows the session. */
async function sessionOffset(ctx: UploadContext, fileRef: IFile, id: string, signal: AbortSignal, maxTries: number): Promise<number | null> {
  for (let tries = 0; ; tries++) {
    try {
      const st = await spPost(File(fileRef, `getUploadStatus(uploadId=guid'${id}')`))
      const at = expectedOffset(st)
      if (at === null) throw new SessionLost(`the session's status gave no offset (${JSON.stringify(st).slice(0, 120)})`)
      return at
    } catch (err) {
      if (signal.aborted || err instanceof SessionLost) throw err
      // 400/404: the session is unknown (never made, expired, cancelled)
      if (isHttp(err) && (err.status === 400 || err.status === 404)) return null
      const de = ctx.explain(err, 'asking SharePoint for the upload session status')
      if (de.scope === 'task' || tries + 1 >= maxTries) throw de
      await sleep(backoffMs(tries, 200, 5_000), signal)
    }
  }
}

/** The stub's info when it holds `size` bytes (a finish whose answer was lost), else null. */
async function committed(ctx: UploadContext, fileUrl: string, size: number, signal: AbortSignal): Promise<IFileInfo | null> {
  try {
    const info = (await ctx.sp.web.getFileByServerRelativePath(fileUrl).using(signalBehavior(signal))()) as IFileInfo
    return Number(info.Length) === size ? info : null
  } catch (err) {
    if (isHttp(err) && err.status === 404) return null
    throw ctx.explain(err, `checking ${fileUrl}`)
  }
}
