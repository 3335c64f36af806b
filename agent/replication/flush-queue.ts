/**
 * The replicator's write path: ledger updates (ours and peers') are batched (~30 ms), merged, stored, and
 * only then is our own part sent on (gossiped, or pushed when too big for gossip). It also knows when a
 * large change of ours is in flight, which tells the replicator which differing digests to ignore. Kept
 * apart from the replicator's network side so the order "stored before anyone hears of it" reads in one place.
 */
import type { Logger } from 'pino'
import type { LedgerStore } from '../persistence/store.ts'
import { MAX_GOSSIP_MESSAGE, encodeGossip } from '../../protocol/wire.ts'
import { groupBySize, mergeMany } from '../../protocol/merge-updates.ts'

export interface FlushQueueDeps {
  store: Pick<LedgerStore, 'append' | 'appendMany' | 'pendingCount'>
  /** compacts the store (snapshot of the document); run when `compactEvery` updates were appended */
  compact(): Promise<void>
  batchMs: number
  compactEvery: number
  log: Logger
  stats: { published: number; storedBytes: number }
  stopped(): boolean
  /** gossips an encoded ledger message; never throws */
  publish(msg: Uint8Array): Promise<void>
  /** sends a local change too big for gossip to the peers, in these parts, in order; resolves when that is done */
  push(parts: Uint8Array[]): Promise<void>
  /** see ReplicatorOptions */
  onStoreError?: (err: Error) => void
  onStored?: (bytes: number) => void
}

/** The size of each part a large local change is pushed (and stored) in. */
const PUSH_PART_BYTES = 512 * 1024

/**
 * What peers sent since the last flush, as stored: merged into one when small (many gossip messages, one
 * key), as received when large (the parts of a push or a sync are compact already; merging 40 MB of them
 * held the event loop for over a second). The store's compaction merges runs of small ones later.
 */
function remoteToStore(remote: Uint8Array[]): Uint8Array[] {
  if (remote.length <= 1) return remote
  const bytes = remote.reduce((n, u) => n + u.byteLength, 0)
  return bytes <= MAX_GOSSIP_MESSAGE ? [mergeMany(remote)] : remote
}

export class FlushQueue {
  private pendingLocal: Uint8Array[] = []
  private pendingRemote: Uint8Array[] = []
  private flushTimer: NodeJS.Timeout | null = null
  private flushing: Promise<void> = Promise.resolve()
  private compacting = false
  /** bytes of local updates waiting for the next flush */
  private pendingLocalBytes = 0
  /** large local changes flushed or being pushed */
  private pushes = 0

  constructor(private readonly deps: FlushQueueDeps) {}

  /** Queues an update for the next flush: stored, and published too when it is local. */
  queue(update: Uint8Array, local: boolean): void {
    if (!local) this.pendingRemote.push(update)
    else {
      this.pendingLocal.push(update)
      this.pendingLocalBytes += update.byteLength
    }
    if (!this.flushTimer && !this.deps.stopped()) this.flushTimer = setTimeout(() => void this.flush(), this.deps.batchMs)
  }

  /** Resolves once every change queued so far is stored (and, if small enough, published). */
  flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer)
      this.flushTimer = null
    }
    this.flushing = this.flushing.then(() => this.doFlush())
    return this.flushing
  }

  /** A large local change of ours is waiting for its flush, being stored, or being pushed. */
  largeChangeInFlight(): boolean {
    return this.pendingLocalBytes > MAX_GOSSIP_MESSAGE || this.pushes > 0
  }

  private async doFlush(): Promise<void> {
    this.flushTimer = null
    const local = this.pendingLocal
    const remote = this.pendingRemote
    this.pendingLocal = []
    this.pendingRemote = []
    if (local.length === 0 && remote.length === 0) return
    // A large local change counts as in flight from here (its store write) until its push is done.
    const big = this.pendingLocalBytes > MAX_GOSSIP_MESSAGE
    this.pendingLocalBytes = 0
    if (big) this.pushes++
    let pushing = false
    try {
      if (big) {
        // A large change of ours (an import) goes out in parts of about PUSH_PART_BYTES, each its own push:
        // a peer applies one part at a time, answering its own requests between them, where one 20 MB
        // update held it for seconds. Stored as the same parts, all or none.
        const parts = groupBySize(local, PUSH_PART_BYTES).map(mergeMany)
        await this.store([...remoteToStore(remote), ...parts])
        pushing = true
        void this.deps.push(parts).finally(() => this.pushes--)
      } else {
        // Local changes merged once: stored (with what peers sent meanwhile) and published as the same bytes.
        const mergedLocal = local.length > 0 ? mergeMany(local) : null
        await this.store([...remoteToStore(remote), ...(mergedLocal ? [mergedLocal] : [])])
        if (mergedLocal) {
          const msg = encodeGossip({ type: 'update', update: mergedLocal })
          if (msg.byteLength <= MAX_GOSSIP_MESSAGE) {
            await this.deps.publish(msg)
            this.deps.stats.published++
          } else {
            pushing = true
            this.pushes++
            void this.deps.push([mergedLocal]).finally(() => this.pushes--)
          }
        }
      }
    } finally {
      if (big && !pushing) this.pushes--
    }
    this.compactIfDue()
  }

  /** Persists before anyone hears of it: a published change must survive our crash. */
  private async store(updates: Uint8Array[]): Promise<void> {
    try {
      await this.deps.store.appendMany(updates)
    } catch (err) {
      this.deps.onStoreError?.(err as Error)
      throw err
    }
    const bytes = updates.reduce((n, u) => n + u.byteLength, 0)
    this.deps.stats.storedBytes += bytes
    this.deps.onStored?.(bytes)
  }

  private compactIfDue(): void {
    if (!this.compacting && this.deps.store.pendingCount >= this.deps.compactEvery) {
      this.compacting = true
      this.deps
        .compact()
        .catch((err) => this.deps.log.error({ err: (err as Error).message }, 'ledger compaction failed'))
        .finally(() => (this.compacting = false))
    }
  }
}
