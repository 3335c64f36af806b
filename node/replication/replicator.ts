/**
 * Replication of the ledger document:
 *  - local changes are batched (~30 ms), merged, stored, then published on the ledger topic (or, when
 *    too big to gossip, announced by a digest hint so peers pull them over the sync stream);
 *  - remote updates (gossip or sync) are checked to decode, applied with a non-local origin, stored;
 *  - every new outbound connection runs a state-vector sync; every few seconds a digest (state vector +
 *    delete set) is gossiped, and a peer whose digest differs is synced with directly.
 * Gossip is for speed; the digest + sync are what guarantee no update is lost for good.
 */
import * as Y from 'yjs'
import { peerIdFromString } from '@libp2p/peer-id'
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { Logger } from 'pino'
import type { Host } from '../host/host.ts'
import type { LedgerStore } from '../persistence/store.ts'
import { DigestCache } from './digest.ts'
import { runSync } from './sync.ts'
import { LEDGER_TOPIC, MAX_GOSSIP_MESSAGE, SYNC_PROTOCOL, decodeGossip, encodeGossip, equalBytes } from '../../protocol/wire.ts'
import { RateLimitedLog } from './rate-log.ts'

/** Origin of updates that came from peers: never re-published, always stored. */
export const REMOTE_ORIGIN = Symbol('mmesh-remote')

export interface SyncStat {
  peer: string
  ms: number
  received: number
  sent: number
}

export interface ReplicatorOptions {
  batchMs: number
  antiEntropyMs: number
  syncTimeoutMs: number
  /** compact the store when this many updates were appended since the last compaction */
  compactEvery: number
  isBlocked?: (peerId: string) => boolean
  /**
   * The store refused a write (disk full, read-only, I/O error). level keeps failing after such an error
   * and every later flush would be skipped, so the agent must not carry on as if its ledger were stored.
   */
  onStoreError?: (err: Error) => void
}

export class Replicator {
  private pendingLocal: Uint8Array[] = []
  private pendingRemote: Uint8Array[] = []
  private flushTimer: NodeJS.Timeout | null = null
  private flushing: Promise<void> = Promise.resolve()
  private aeTimer: NodeJS.Timeout | null = null
  private readonly digest: DigestCache
  private readonly syncing = new Map<string, Promise<void>>()
  private readonly again = new Set<string>()
  /** the last digest each peer gossiped */
  private readonly peerDigests = new Map<string, Uint8Array>()
  private readonly warn: RateLimitedLog
  private stopped = false
  private compacting = false
  /** counters for status and tests */
  readonly stats = { published: 0, hinted: 0, applied: 0, rejected: 0, syncs: 0, syncFailures: 0, storedBytes: 0, lastSync: null as null | SyncStat, largestSync: null as null | SyncStat }

  constructor(
    private readonly host: Host,
    private readonly doc: Y.Doc,
    private readonly store: LedgerStore,
    private readonly log: Logger,
    private readonly opts: ReplicatorOptions,
  ) {
    this.digest = new DigestCache(doc)
    this.warn = new RateLimitedLog(log, 20, 10_000)
  }

  async start(): Promise<void> {
    this.doc.on('update', this.onDocUpdate)
    const pubsub = this.host.services.pubsub
    pubsub.topicValidators.set(LEDGER_TOPIC, (_peer, msg) => this.validate(msg))
    pubsub.addEventListener('message', this.onMessage)
    pubsub.subscribe(LEDGER_TOPIC)
    await this.host.handle(SYNC_PROTOCOL, (stream, connection) => {
      const peer = connection.remotePeer.toString()
      if (this.opts.isBlocked?.(peer)) {
        stream.abort(new Error('blocked'))
        return
      }
      // Registered like an outbound sync, so a digest from this peer meanwhile does not start a second one.
      const run = runSync(stream, this.doc, (u) => this.applyRemote(u, `sync from ${peer}`), { timeoutMs: this.opts.syncTimeoutMs })
        .then(() => void this.stats.syncs++)
        .catch((err) => {
          this.stats.syncFailures++
          this.warn.warn({ peer, err: (err as Error).message }, 'sync stream from peer rejected')
        })
      if (!this.syncing.has(peer)) {
        this.syncing.set(peer, run)
        void run.finally(() => this.syncDone(peer, run))
      }
    }, { maxInboundStreams: 8 })
    this.host.addEventListener('connection:open', (evt) => {
      const conn = evt.detail
      // One side starts the sync of a new connection: the dialer.
      if (conn.direction === 'outbound') this.syncWith(conn.remotePeer.toString())
    })
    const tick = () => {
      if (this.stopped) return
      void this.publishDigest(false)
      this.aeTimer = setTimeout(tick, this.opts.antiEntropyMs)
    }
    this.aeTimer = setTimeout(tick, this.opts.antiEntropyMs)
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.aeTimer) clearTimeout(this.aeTimer)
    await this.flush()
    this.doc.off('update', this.onDocUpdate)
    this.host.services.pubsub.removeEventListener('message', this.onMessage)
    // Let running syncs finish, but do not let a stalled peer hold up the shutdown.
    await Promise.race([Promise.allSettled([...this.syncing.values()]), new Promise((r) => setTimeout(r, 2000).unref())])
  }

  /** Resolves once every change made so far is stored (and, if small enough, published). */
  flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer)
      this.flushTimer = null
    }
    this.flushing = this.flushing.then(() => this.doFlush())
    return this.flushing
  }

  /** Bytes-level apply of an update from a peer (also used by tests to inject one): never throws. */
  applyRemote(update: Uint8Array, from: string, alreadyChecked = false): boolean {
    try {
      if (!alreadyChecked) checkDecodes(update)
      Y.applyUpdate(this.doc, update, REMOTE_ORIGIN)
      this.stats.applied++
      return true
    } catch (err) {
      this.stats.rejected++
      this.warn.warn({ from, bytes: update.byteLength, err: (err as Error).message }, 'rejected an update that does not decode')
      return false
    }
  }

  currentDigest(): Uint8Array {
    return this.digest.get()
  }

  /** Direct sync with one peer (dialing it if needed); concurrent requests for one peer coalesce. */
  syncWith(peer: string): void {
    if (this.stopped || peer === this.host.peerId.toString() || this.opts.isBlocked?.(peer)) return
    if (this.syncing.has(peer)) {
      this.again.add(peer)
      return
    }
    const run = (async () => {
      try {
        const stream = await this.host.dialProtocol(peerIdFromString(peer), SYNC_PROTOCOL, {
          signal: AbortSignal.timeout(this.opts.syncTimeoutMs),
        })
        const t0 = performance.now()
        const r = await runSync(stream, this.doc, (u) => this.applyRemote(u, `sync with ${peer}`), { timeoutMs: this.opts.syncTimeoutMs })
        this.stats.syncs++
        const stat = { peer, ms: Math.round(performance.now() - t0), received: r.received, sent: r.sent }
        this.stats.lastSync = stat
        if (!this.stats.largestSync || stat.received > this.stats.largestSync.received) this.stats.largestSync = stat
      } catch (err) {
        this.stats.syncFailures++
        this.log.debug({ peer, err: (err as Error).message }, 'sync failed')
      }
    })()
    this.syncing.set(peer, run)
    void run.finally(() => this.syncDone(peer, run))
  }

  /** After a sync: if a digest from this peer arrived meanwhile and still differs from ours, sync again. */
  private syncDone(peer: string, run: Promise<void>): void {
    if (this.syncing.get(peer) === run) this.syncing.delete(peer)
    if (!this.again.delete(peer)) return
    const theirs = this.peerDigests.get(peer)
    if (theirs && !equalBytes(theirs, this.digest.get())) this.syncWith(peer)
  }

  // ------------------------------------------------------------------ internals

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin === REMOTE_ORIGIN) this.pendingRemote.push(update)
    else this.pendingLocal.push(update)
    if (!this.flushTimer && !this.stopped) this.flushTimer = setTimeout(() => void this.flush(), this.opts.batchMs)
  }

  private async doFlush(): Promise<void> {
    this.flushTimer = null
    const local = this.pendingLocal
    const remote = this.pendingRemote
    this.pendingLocal = []
    this.pendingRemote = []
    if (local.length === 0 && remote.length === 0) return
    const all = [...remote, ...local]
    const merged = all.length === 1 ? all[0]! : Y.mergeUpdates(all)
    // Persist before anyone hears of it: a published change must survive our crash.
    try {
      await this.store.append(merged)
    } catch (err) {
      this.opts.onStoreError?.(err as Error)
      throw err
    }
    this.stats.storedBytes += merged.byteLength
    if (local.length > 0) {
      const mergedLocal = local.length === 1 ? local[0]! : Y.mergeUpdates(local)
      const msg = encodeGossip({ type: 'update', update: mergedLocal })
      if (msg.byteLength <= MAX_GOSSIP_MESSAGE) {
        await this.publish(msg)
        this.stats.published++
      } else {
        // Too big for gossip: tell peers our digest changed; each pulls it over the sync stream (one sync
        // per peer; pushing too would send the same megabytes twice).
        this.stats.hinted++
        await this.publishDigest(true)
      }
    }
    if (!this.compacting && this.store.pendingCount >= this.opts.compactEvery) {
      this.compacting = true
      this.store
        .compact(this.doc)
        .catch((err) => this.log.error({ err: (err as Error).message }, 'ledger compaction failed'))
        .finally(() => (this.compacting = false))
    }
  }

  private async publish(data: Uint8Array): Promise<void> {
    try {
      await this.host.services.pubsub.publish(LEDGER_TOPIC, data)
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'publish failed; anti-entropy will repair')
    }
  }

  private async publishDigest(hint: boolean): Promise<void> {
    if (this.stopped && !hint) return
    await this.publish(encodeGossip({ type: 'digest', digest: this.digest.get(), hint }))
  }

  private validate(msg: Message): TopicValidatorResult {
    if (msg.type !== 'signed') return TopicValidatorResult.Reject
    const decoded = decodeGossip(msg.data)
    if (!decoded.ok) {
      this.stats.rejected++
      this.warn.warn({ from: msg.from.toString(), bytes: msg.data.byteLength, reason: decoded.reason }, 'rejected a ledger message')
      return TopicValidatorResult.Reject
    }
    if (decoded.value.type === 'update') {
      try {
        checkDecodes(decoded.value.update)
      } catch (err) {
        this.stats.rejected++
        this.warn.warn({ from: msg.from.toString(), bytes: msg.data.byteLength, err: (err as Error).message }, 'rejected an update that does not decode')
        return TopicValidatorResult.Reject
      }
    }
    return TopicValidatorResult.Accept
  }

  private readonly onMessage = (evt: CustomEvent<Message>) => {
    const msg = evt.detail
    if (msg.topic !== LEDGER_TOPIC || msg.type !== 'signed' || this.stopped) return
    const from = msg.from.toString()
    if (this.opts.isBlocked?.(from)) return
    const decoded = decodeGossip(msg.data)
    if (!decoded.ok) return
    if (decoded.value.type === 'update') {
      // the topic validator already checked that it decodes
      this.applyRemote(decoded.value.update, `gossip from ${from}`, true)
    } else {
      this.peerDigests.set(from, decoded.value.digest.slice())
      if (!equalBytes(decoded.value.digest, this.digest.get())) this.syncWith(from)
    }
  }
}

/**
 * Throws when an update does not decode, before it can reach the document. Up to 1 MiB it is fully
 * decoded (catches the most garbage); a larger catch-up is walked lazily, struct by struct, since fully
 * decoding a 100k-task update would double the agent's memory; applyUpdate's own errors are caught too.
 */
function checkDecodes(update: Uint8Array): void {
  if (update.byteLength <= 1024 * 1024) Y.decodeUpdate(update)
  else Y.encodeStateVectorFromUpdate(update)
}
