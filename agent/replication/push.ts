/**
 * Pushing a large local change. A change too big for gossip used to be announced by a digest hint and
 * pulled by every peer over a sync stream, so the writer encoded the same diff once per peer (tens to
 * hundreds of ms each, one after another on its one thread) after a round trip. The writer already holds
 * the merged update it just stored: it sends those bytes as they are to each connected peer, and the
 * periodic digest still repairs any peer the push missed.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Stream } from '@libp2p/interface'
import { SyncError, readCatchUp, syncFraming, writeCatchUp } from './sync.ts'

/**
 * Sends a change's parts on a freshly opened push stream, each as its own update (its chunks, then `done`),
 * then an empty one that ends the push, and closes it. One stream for all the parts keeps the peer
 * "receiving a push from us" throughout, so it does not pull the parts still on their way.
 */
export async function sendPush(stream: Stream, parts: readonly Uint8Array[], opts: { timeoutMs: number; onPart?: (bytes: number) => void }): Promise<void> {
  const signal = AbortSignal.timeout(opts.timeoutMs)
  const lp = syncFraming(stream)
  try {
    for (const part of parts) {
      await writeCatchUp(lp, part, signal)
      opts.onPart?.(part.byteLength)
    }
    await writeCatchUp(lp, null, signal)
    await stream.close({ signal }).catch(() => {})
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err instanceof SyncError ? err : new SyncError((err as Error).message)
  }
}

/**
 * Reads a pushed change part after part (every frame checked), handing each to `apply` (which must not
 * throw) as it arrives, so the agent answers its own requests between parts; an empty part ends the push.
 * Answers the parts applied.
 */
export async function receivePush(stream: Stream, apply: (update: Uint8Array) => void, opts: { timeoutMs: number }): Promise<number> {
  const signal = AbortSignal.timeout(opts.timeoutMs)
  const lp = syncFraming(stream)
  let parts = 0
  try {
    for (;;) {
      const update = await readCatchUp(lp, signal)
      if (update.byteLength === 0) break
      apply(update)
      parts++
      // A turn for other work: the next part may be buffered already, and reading it would then go on
      // in microtasks without letting a control request in.
      await nextTurn()
    }
    await stream.close({ signal }).catch(() => {})
    return parts
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err instanceof SyncError ? err : new SyncError((err as Error).message)
  }
}
