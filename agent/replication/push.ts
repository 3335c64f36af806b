/**
 * Pushing a large local change. A change too big for gossip used to be announced by a digest hint and
 * pulled by every peer over a sync stream, so the writer encoded the same diff once per peer (tens to
 * hundreds of ms each, one after another on its one thread) after a round trip. The writer already holds
 * the update it just stored: it sends those bytes as they are to each connected peer, and the periodic
 * digest still repairs any peer the push missed.
 *
 * The change goes in parts (replication/flush-queue.ts), on one stream per peer so the peer counts as
 * receiving a push from us throughout and does not pull the parts still on their way. Each part is
 * acknowledged once applied, and only a few go ahead of their acknowledgements: sent all at once, a 20 MB
 * import outran a busy peer's 8 MB stream read buffer, the stream failed, and the peer pulled the whole
 * change instead. A sync's large catch-up travels the same way (diff-parts.ts).
 */
import type { Stream } from '@libp2p/interface'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { decodeSyncFrame, encodeSyncFrame } from '../../protocol/wire.ts'
import { SyncError, readCatchUp, syncFraming, writeCatchUp } from './sync.ts'

/** Parts sent ahead of the peer's acknowledgements: a few hundred KB each, well inside its read buffer. */
const PARTS_IN_FLIGHT = 4

/**
 * Sends each part (its chunks, then `done`), with at most PARTS_IN_FLIGHT not yet acknowledged by the
 * peer's `done` for it, then an empty part that ends the push. `parts` may be made as they go (a
 * generator); `opts.signal` stops the push between parts.
 */
export async function sendPush(stream: Stream, parts: Iterable<Uint8Array>, opts: { timeoutMs: number; signal?: AbortSignal; onPart?: (bytes: number) => void }): Promise<void> {
  const lp = syncFraming(stream)
  // a time limit per part: a push of many parts to a busy peer may take longer than one
  const partSignal = () => (opts.signal ? AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), opts.signal]) : AbortSignal.timeout(opts.timeoutMs))
  const unacknowledged: number[] = []
  const acknowledged = async () => {
    const ack = decodeSyncFrame((await lp.read({ signal: partSignal() })).subarray())
    const bytes = unacknowledged.shift()!
    if (!ack.ok || ack.value.type !== 'done' || ack.value.totalBytes !== bytes) throw new SyncError('the peer did not acknowledge a pushed part')
    opts.onPart?.(bytes)
  }
  try {
    for (const part of parts) {
      await writeCatchUp(lp, part, partSignal())
      unacknowledged.push(part.byteLength)
      if (unacknowledged.length >= PARTS_IN_FLIGHT) await acknowledged()
    }
    while (unacknowledged.length > 0) await acknowledged()
    const signal = AbortSignal.timeout(opts.timeoutMs)
    await writeCatchUp(lp, null, signal)
    await stream.close({ signal }).catch(() => {})
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err instanceof SyncError ? err : new SyncError((err as Error).message)
  }
}

/**
 * Reads a pushed change part after part (every frame checked), hands each to `apply` (which must not
 * throw) and acknowledges it, so the agent answers its own requests between parts and never holds more
 * than one part unread; an empty part ends the push. Answers the parts applied.
 */
export async function receivePush(stream: Stream, apply: (update: Uint8Array) => void, opts: { timeoutMs: number }): Promise<number> {
  const lp = syncFraming(stream)
  let parts = 0
  try {
    for (;;) {
      const signal = AbortSignal.timeout(opts.timeoutMs)
      const update = await readCatchUp(lp, signal)
      if (update.byteLength === 0) break
      apply(update)
      parts++
      await lp.write(encodeSyncFrame({ type: 'done', totalBytes: update.byteLength }), { signal })
      // The next part may be buffered already: reading it resolves without a turn of the event loop for
      // anything else, and parts applied back to back held control requests for seconds.
      await nextTurn()
    }
    await stream.close({ signal: AbortSignal.timeout(opts.timeoutMs) }).catch(() => {})
    return parts
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err instanceof SyncError ? err : new SyncError((err as Error).message)
  }
}
