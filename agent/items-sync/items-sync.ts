/**
 * Item results survive the loss of any one machine: at the end of a round the holder pushes its item
 * records to two other agents chosen by rendezvous hashing, and any agent exporting a report pulls the
 * records it lacks from whichever holder answers, a page at a time.
 */
import { lpStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import {
  ITEMS_PAGE,
  ITEMS_PROTOCOL,
  MAX_ITEMS_FRAME,
  decodeItemsFrame,
  decodeItemsRequest,
  encodeItemsMessage,
  type ItemsFrame,
} from '../../protocol/items-wire.ts'
import { pickAgents } from '../../protocol/rendezvous.ts'
import type { ItemRecord } from '../../protocol/items.ts'
import { isItemRecord, type ItemStore } from '../items/store.ts'
import { latestFailedRecords } from '../items/recent-failures.ts'

export interface ItemsHost {
  handle(protocol: string, handler: (stream: Stream) => void | Promise<void>, opts?: { maxInboundStreams?: number }): Promise<void>
  dialProtocol(peer: ReturnType<typeof peerIdFromString>, protocol: string, opts: { signal: AbortSignal }): Promise<Stream>
}

export interface ItemsSyncDeps {
  host: ItemsHost
  store: ItemStore
  self: string
  logger: Logger
  /** Agents online now, self excluded: where copies can go. */
  liveAgents(): string[]
  isBlocked?: (peer: string) => boolean
}

export class ItemsUnreachableError extends Error {
  override name = 'ItemsUnreachableError'
}

const lp = (s: Stream) => lpStream(s, { maxDataLength: MAX_ITEMS_FRAME })

export function createItemsSync(deps: ItemsSyncDeps) {
  const { store, logger } = deps

  async function serve(stream: Stream): Promise<void> {
    const io = lp(stream)
    const signal = AbortSignal.timeout(10 * 60_000)
    try {
      const req = decodeItemsRequest((await io.read({ signal })).subarray())
      if (!req.ok) {
        await io.write(encodeItemsMessage({ t: 'error', message: req.reason }), { signal })
        return void (await stream.close())
      }
      const r = req.value
      if (r.op === 'push') {
        let count = 0
        for (;;) {
          const f = decodeItemsFrame((await io.read({ signal })).subarray())
          if (!f.ok) throw new Error(f.reason)
          if (f.value.t === 'done') break
          if (f.value.t !== 'records') throw new Error(`unexpected ${f.value.t} frame`)
          // Records for another task or round than announced are not ours to store.
          const fit = f.value.records.filter((x) => typeof x === 'object' && x !== null && (x as ItemRecord).taskId === r.taskId && (x as ItemRecord).round === r.round)
          count += await store.importBatch(fit)
        }
        await io.write(encodeItemsMessage({ t: 'done', count }), { signal })
      } else if (r.op === 'pull') {
        let page: ItemRecord[] = []
        let count = 0
        for await (const rec of store.iterate(r.taskId, r.round, { ...(r.after ? { after: r.after } : {}), limit: r.limit })) {
          page.push(rec)
          if (page.length >= ITEMS_PAGE) {
            await io.write(encodeItemsMessage({ t: 'records', records: page }), { signal })
            count += page.length
            page = []
          }
        }
        if (page.length > 0) await io.write(encodeItemsMessage({ t: 'records', records: page }), { signal })
        count += page.length
        await io.write(encodeItemsMessage({ t: 'done', count }), { signal })
      } else if (r.op === 'failures') {
        const records = (await latestFailedRecords(store, r.taskId, r.round, r.failed)) ?? []
        await io.write(encodeItemsMessage({ t: 'records', records }), { signal })
        await io.write(encodeItemsMessage({ t: 'done', count: records.length }), { signal })
      } else {
        await io.write(encodeItemsMessage({ t: 'rounds', rounds: await store.rounds(r.taskId) }), { signal })
      }
      await stream.close()
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'item-results stream refused')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  async function open(peer: string, timeoutMs: number): Promise<{ stream: Stream; io: ReturnType<typeof lp>; signal: AbortSignal }> {
    if (deps.isBlocked?.(peer)) throw new ItemsUnreachableError(`agent ${peer} is cut off`)
    const signal = AbortSignal.timeout(timeoutMs)
    const stream = await deps.host.dialProtocol(peerIdFromString(peer), ITEMS_PROTOCOL, { signal })
    return { stream, io: lp(stream), signal }
  }

  async function pushTo(peer: string, taskId: string, round: number): Promise<number> {
    const { stream, io, signal } = await open(peer, 5 * 60_000)
    try {
      await io.write(encodeItemsMessage({ op: 'push', taskId, round }), { signal })
      for await (const batch of store.exportBatches(taskId, round, ITEMS_PAGE)) {
        await io.write(encodeItemsMessage({ t: 'records', records: batch }), { signal })
      }
      await io.write(encodeItemsMessage({ t: 'done', count: 0 }), { signal })
      const ack = decodeItemsFrame((await io.read({ signal })).subarray())
      if (!ack.ok || ack.value.t !== 'done') throw new Error('no acknowledgement')
      await stream.close()
      return ack.value.count
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
  }

  return {
    async start(): Promise<void> {
      await deps.host.handle(ITEMS_PROTOCOL, (s) => serve(s), { maxInboundStreams: 16 })
    },

    /**
     * Copies a round's records to up to `copies` other live agents (rendezvous-chosen, so the same task
     * lands on the same agents) and returns the ones that acknowledged.
     */
    async replicate(taskId: string, round: number, copies = 2): Promise<string[]> {
      const candidates = pickAgents(`${taskId}/${round}`, deps.liveAgents().filter((a) => a !== deps.self), deps.liveAgents().length)
      const done: string[] = []
      for (const peer of candidates) {
        if (done.length >= copies) break
        try {
          await pushTo(peer, taskId, round)
          done.push(peer)
        } catch (err) {
          logger.warn({ peer, taskId, err: (err as Error).message }, 'could not copy item results to agent')
        }
      }
      return done
    },

    /** The newest failed records of a round that a peer holds (the fleet view's latest failures). */
    async failures(peer: string, taskId: string, round: number, failed: number): Promise<ItemRecord[]> {
      const { stream, io, signal } = await open(peer, 10_000)
      try {
        await io.write(encodeItemsMessage({ op: 'failures', taskId, round, failed }), { signal })
        const out: ItemRecord[] = []
        for (;;) {
          const f = decodeItemsFrame((await io.read({ signal })).subarray())
          if (!f.ok) throw new Error(f.reason)
          if (f.value.t === 'done') break
          if (f.value.t !== 'records') throw new Error(`unexpected ${f.value.t} frame`)
          for (const rec of f.value.records) if (isItemRecord(rec) && rec.taskId === taskId && rec.round === round && rec.status === 'Failed') out.push(rec)
        }
        await stream.close()
        return out
      } catch (err) {
        stream.abort(err instanceof Error ? err : new Error(String(err)))
        throw err
      }
    },

    /** Streams one round's records from a remote holder, page by page (bounded memory). */
    async *pull(peer: string, taskId: string, round: number): AsyncIterable<ItemRecord> {
      const { stream, io, signal } = await open(peer, 30 * 60_000)
      try {
        await io.write(encodeItemsMessage({ op: 'pull', taskId, round, after: null, limit: 10_000_000 }), { signal })
        for (;;) {
          const f = decodeItemsFrame((await io.read({ signal })).subarray())
          if (!f.ok) throw new Error(f.reason)
          const frame: ItemsFrame = f.value
          if (frame.t === 'done') break
          if (frame.t !== 'records') throw new Error(`unexpected ${frame.t} frame`)
          // Peer data is untrusted: only well-formed records of the round asked for reach a report.
          for (const rec of frame.records) if (isItemRecord(rec) && rec.taskId === taskId && rec.round === round) yield rec
        }
        await stream.close()
      } catch (err) {
        stream.abort(err instanceof Error ? err : new Error(String(err)))
        throw err
      }
    },
  }
}

export type ItemsSync = ReturnType<typeof createItemsSync>
