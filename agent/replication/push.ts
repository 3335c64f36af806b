/**
 * Pushing a large local change. A change too big for gossip used to be announced by a digest hint and
 * pulled by every peer over a sync stream, so the writer encoded the same diff once per peer (tens to
 * hundreds of ms each, one after another on its one thread) after a round trip. The writer already holds
 * the merged update it just stored: it sends those bytes as they are to each connected peer, and the
 * periodic digest still repairs any peer the push missed.
 */
import type { Stream } from '@libp2p/interface'
import { SyncError, readCatchUp, syncFraming, writeCatchUp } from './sync.ts'

/** Sends `update` on a freshly opened push stream and closes it. */
export async function sendPush(stream: Stream, update: Uint8Array, opts: { timeoutMs: number }): Promise<void> {
  const signal = AbortSignal.timeout(opts.timeoutMs)
  const lp = syncFraming(stream)
  try {
    await writeCatchUp(lp, update, signal)
    await stream.close({ signal }).catch(() => {})
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err instanceof SyncError ? err : new SyncError((err as Error).message)
  }
}

/** Reads one pushed update (every frame checked) and hands it to `apply`, which must not throw. */
export async function receivePush(stream: Stream, apply: (update: Uint8Array) => void, opts: { timeoutMs: number }): Promise<number> {
  const signal = AbortSignal.timeout(opts.timeoutMs)
  const lp = syncFraming(stream)
  try {
    const update = await readCatchUp(lp, signal)
    if (update.byteLength > 0) apply(update)
    await stream.close({ signal }).catch(() => {})
    return update.byteLength
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err instanceof SyncError ? err : new SyncError((err as Error).message)
  }
}
