/**
 * The direct sync stream (y-protocols step 1 / step 2, symmetric): both sides send their state vector,
 * then each sends what the other lacks as chunked frames followed by `done`, reading concurrently so two
 * large catch-ups cannot block each other. Every frame is validated; a bad one aborts this stream only.
 */
import * as Y from 'yjs'
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { PART_STRUCTS, diffInParts, missingClocks } from './diff-parts.ts'
import {
  MAX_SYNC_FRAME,
  MAX_SYNC_TOTAL,
  chunkUpdate,
  decodeSyncFrame,
  encodeSyncFrame,
} from '../../protocol/wire.ts'

export class SyncError extends Error {
  override name = 'SyncError'
}

export interface SyncResult {
  /** bytes received from the peer (0 when it had nothing new for us) */
  received: number
  sent: number
}

/** A catch-up of more structs than this goes in parts when the peer takes them (diff-parts.ts). */
const PARTS_ABOVE_STRUCTS = 2 * PART_STRUCTS

/**
 * Sends a catch-up in parts on a stream of its own to the peer of this sync: the bytes sent, or null when
 * the peer does not take parts (an agent from before them).
 */
export type SendParts = (parts: Iterable<Uint8Array>, signal: AbortSignal) => Promise<number | null>

/**
 * Runs one sync over `stream`. `apply` receives the peer's catch-up update; it must check that it decodes
 * and report, not throw, when it does not. A large catch-up of ours goes through `opts.sendParts`.
 */
export async function runSync(
  stream: Stream,
  doc: Y.Doc,
  apply: (update: Uint8Array) => void,
  opts: { timeoutMs: number; sendParts?: SendParts },
): Promise<SyncResult> {
  const signal = AbortSignal.timeout(opts.timeoutMs)
  const lp = syncFraming(stream)
  try {
    await lp.write(encodeSyncFrame({ type: 'stateVector', stateVector: Y.encodeStateVector(doc) }), { signal })
    const first = decodeSyncFrame((await lp.read({ signal })).subarray())
    if (!first.ok) throw new SyncError(first.reason)
    if (first.value.type !== 'stateVector') throw new SyncError(`expected a state vector, got ${first.value.type}`)
    let theirs: Map<number, number>
    try {
      theirs = Y.decodeStateVector(first.value.stateVector)
    } catch {
      throw new SyncError('state vector does not decode')
    }
    const readAll = readCatchUp(lp, signal)
    // Keep the reader's rejection from surfacing as unhandled while we write.
    readAll.catch(() => {})
    let sent: number | null = null
    if (opts.sendParts && missingClocks(doc, theirs) > PARTS_ABOVE_STRUCTS) sent = await opts.sendParts(diffInParts(doc, theirs), signal)
    if (sent === null) {
      const diff = Y.encodeStateAsUpdate(doc, first.value.stateVector)
      // An update with no structs and no deletions is 2 bytes: nothing to send.
      sent = diff.byteLength > 2 ? diff.byteLength : 0
      await writeCatchUp(lp, diff.byteLength > 2 ? diff : null, signal)
    } else await writeCatchUp(lp, null, signal)
    const incoming = await readAll
    if (incoming.byteLength > 0) apply(incoming)
    await stream.close({ signal }).catch(() => {})
    return { received: incoming.byteLength, sent }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    if (err instanceof SyncError) throw err
    throw new SyncError((err as Error).message)
  }
}

type LpStream = ReturnType<typeof lpStream>

/** Reads update chunks until `done`, checking every frame and the announced total; returns the update. */
export async function readCatchUp(lp: LpStream, signal: AbortSignal): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const f = decodeSyncFrame((await lp.read({ signal })).subarray())
    if (!f.ok) throw new SyncError(f.reason)
    if (f.value.type === 'updateChunk') {
      total += f.value.chunk.byteLength
      if (total > MAX_SYNC_TOTAL) throw new SyncError(`catch-up exceeds ${MAX_SYNC_TOTAL} bytes`)
      // copy: the frame's buffer belongs to the stream reader
      chunks.push(f.value.chunk.slice())
    } else if (f.value.type === 'done') {
      if (f.value.totalBytes !== total) throw new SyncError(`peer announced ${f.value.totalBytes} bytes, sent ${total}`)
      return concat(chunks, total)
    } else {
      throw new SyncError('unexpected state vector')
    }
  }
}

/** Writes an update (none: null) as chunk frames followed by `done` with its length. */
export async function writeCatchUp(lp: LpStream, update: Uint8Array | null, signal: AbortSignal): Promise<void> {
  if (update) for (const frame of chunkUpdate(update)) await lp.write(frame, { signal })
  await lp.write(encodeSyncFrame({ type: 'done', totalBytes: update?.byteLength ?? 0 }), { signal })
}

/** Opens the length-prefixed framing of a sync or push stream with this protocol's bounds. */
export function syncFraming(stream: Stream): LpStream {
  return lpStream(stream, { maxDataLength: MAX_SYNC_FRAME, maxBufferSize: 8 * MAX_SYNC_FRAME })
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(total)
  let off = 0
  for (const c of chunks) {
    out.set(c, off)
    off += c.byteLength
  }
  return out
}
