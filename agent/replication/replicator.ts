/**
 * Replication of the ledger document:
 *  - local changes are batched (~30 ms), merged, stored, then published on the ledger topic (or, when
 *    too big to gossip, pushed as they are to every connected peer over a direct stream, then announced
 *    by a digest hint so any peer the push missed pulls them over the sync stream);
 *  - remote updates (gossip or sync) are checked to decode, applied with a non-local origin, stored;
 *  - every new outbound connection runs a state-vector sync; every few seconds a digest (state vector +
 *    delete set) is gossiped when it changed, an unchanged one less often (PeriodicDigest), and a peer
 *    whose digest differs is synced with directly.
 * Gossip is for speed; the digest + sync are what guarantee no update is lost for good.
 */
import * as Y from 'yjs'
import pLimit from 'p-limit'
import { peerIdFromString } from '@libp2p/peer-id'
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { Logger } from 'pino'
import type { Stream } from '@libp2p/interface'
import type { Host } from '../host/host.ts'
import type { LedgerStore } from '../persistence/store.ts'
import { DigestCache, PeriodicDigest } from './digest.ts'
import { runSync } from './sync.ts'
import { LEDGER_TOPIC, MAX_GOSSIP_MESSAGE, PUSH_PROTOCOL, SYNC_PROTOCOL, decodeGossip, encodeGossip, equalBytes } from '../../protocol/wire.ts'
import { receivePush, sendPush } from './push.ts'
import { RateLimitedLog } from './rate-log.ts'
import { mergeMany } from '../../protocol/merge-updates.ts'
import { applyWithoutListener, checkDecodes } from './apply-remote.ts'
import { PeerCounts } from './peer-counts.ts'
import { PeerDigests } from './peer-digests.ts'
import { checkLedgerMessage } from './gossip-check.ts'

/** Peers a large change is pushed to at the same time. */
const PUSH_FAN_OUT = 8

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
  /** Called after each stored batch with its size (a large one is worth a garbage collection). */
  onStored?: (bytes: number) => void
  /** Called after a sync or push with the bytes this agent sent (encoding a large catch-up leaves as much garbage). */
  onTransferred?: (bytes: number) => void
}

export class Replicator {
  private pendingLocal: Uint8Array[] = []
  private pendingRemote: Uint8Array[] = []
  private flushTimer: NodeJS.Timeout | null = null
  private flushing: Promise<void> = Promise.resolve()
  private aeTimer: NodeJS.Timeout | null = null
  private readonly digest: DigestCache
  private readonly periodicDigest = new PeriodicDigest()
  private readonly syncing = new Map<string, Promise<void>>()
  private readonly again = new Set<string>()
  /** our outbound sync streams by peer, so a push from that peer can stop the pull it makes redundant */
  private readonly syncStreams = new Map<string, Stream>()
  private readonly superseded = new WeakSet<Stream>()
  /** the newest digest each peer gossiped (stale ones dropped) */
  private readonly peerDigests = new PeerDigests()
  private readonly warn: RateLimitedLog
  private stopped = false
  private compacting = false
  /** bytes of local updates waiting for the next flush */
  private pendingLocalBytes = 0
  /** large local changes flushed or being pushed */
  private pushes = 0
  /** peers we are pushing a large change to, and peers pushing one to us; counted: pushes can overlap */
  private readonly pushingTo = new PeerCounts()
  private readonly pushedFrom = new PeerCounts()
  /** counters for status and tests */
  readonly stats = { published: 0, hinted: 0, pushed: 0, pushesReceived: 0, applied: 0, rejected: 0, syncs: 0, syncFailures: 0, storedBytes: 0, lastSync: null as null | SyncStat, largestSync: null as null | SyncStat }

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
      const run = runSync(stream, this.doc, (u) => this.applyCatchUp(u, `sync from ${peer}`), { timeoutMs: this.opts.syncTimeoutMs })
        .then((r) => {
          this.stats.syncs++
          this.opts.onTransferred?.(r.sent)
        })
        .catch((err) => {
          this.stats.syncFailures++
          this.warn.warn({ peer, err: (err as Error).message }, 'sync stream from peer rejected')
        })
      if (!this.syncing.has(peer)) {
        this.syncing.set(peer, run)
        void run.finally(() => this.syncDone(peer, run))
      }
    }, { maxInboundStreams: 8 })
    await this.host.handle(PUSH_PROTOCOL, (stream, connection) => {
      const peer = connection.remotePeer.toString()
      if (this.opts.isBlocked?.(peer) || this.stopped) {
        stream.abort(new Error('blocked'))
        return
      }
      this.pushedFrom.add(peer)
      // A sync we asked this peer for a moment ago (a dial can take a second on a busy machine) would
      // bring the same megabytes the push is bringing: stop it, and check again after the push.
      const pull = this.syncStreams.get(peer)
      if (pull) this.supersede(peer, pull)
      void receivePush(stream, (u) => this.applyCatchUp(u, `push from ${peer}`), { timeoutMs: this.opts.syncTimeoutMs })
        .then(() => void this.stats.pushesReceived++)
        .catch((err) => this.warn.warn({ peer, err: (err as Error).message }, 'push stream from peer rejected'))
        .finally(() => {
          this.pushedFrom.delete(peer)
          this.recheck(peer)
        })
    }, { maxInboundStreams: 4 })
    this.host.addEventListener('connection:open', (evt) => {
      const conn = evt.detail
      // One side starts the sync of a new connection: the dialer.
      if (conn.direction === 'outbound') this.syncWith(conn.remotePeer.toString())
    })
    const tick = () => {
      if (this.stopped) return
      // Not while a large change of ours is on its way: peers would pull what the push brings them.
      if (!this.ownLargeChangeInFlight() && this.periodicDigest.due(this.digest.get())) void this.publishDigest(false)
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
      this.applyQuietly(update)
      this.stats.applied++
      return true
    } catch (err) {
      this.stats.rejected++
      this.warn.warn({ from, bytes: update.byteLength, err: (err as Error).message }, 'rejected an update that does not decode')
      return false
    }
  }

  /** Applies a peer's update without Yjs re-encoding it for our listener (see apply-remote.ts). */
  private applyQuietly(update: Uint8Array): void {
    const r = applyWithoutListener(this.doc, update, REMOTE_ORIGIN, this.onDocUpdate)
    if (r.remote) this.queue(r.remote, false)
    if (r.local) this.queue(r.local, true)
    if (r.error) throw r.error
  }

  /**
   * A sync catch-up is applied without the separate decode check: Yjs reads every struct of an update
   * before it integrates any, so one that does not decode is refused untouched; only a corrupt delete set
   * at its tail can leave its structs applied without those deletions, and the next anti-entropy round
   * brings them. The check would cost as much again as the apply (0.8 s for 100,000 tasks).
   */
  private applyCatchUp(update: Uint8Array, from: string): boolean {
    return this.applyRemote(update, from, true)
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
      let stream: Stream | null = null
      try {
        stream = await this.host.dialProtocol(peerIdFromString(peer), SYNC_PROTOCOL, {
          signal: AbortSignal.timeout(this.opts.syncTimeoutMs),
        })
        this.syncStreams.set(peer, stream)
        if (this.pushedFrom.has(peer)) this.supersede(peer, stream)
        const t0 = performance.now()
        const r = await runSync(stream, this.doc, (u) => this.applyCatchUp(u, `sync with ${peer}`), { timeoutMs: this.opts.syncTimeoutMs })
        this.stats.syncs++
        this.opts.onTransferred?.(r.sent)
        const stat = { peer, ms: Math.round(performance.now() - t0), received: r.received, sent: r.sent }
        this.stats.lastSync = stat
        if (!this.stats.largestSync || stat.received > this.stats.largestSync.received) this.stats.largestSync = stat
      } catch (err) {
        if (stream && this.superseded.has(stream)) this.log.debug({ peer }, 'sync stopped: a push from the peer brings the change')
        else {
          this.stats.syncFailures++
          this.log.debug({ peer, err: (err as Error).message }, 'sync failed')
        }
      } finally {
        if (stream && this.syncStreams.get(peer) === stream) this.syncStreams.delete(peer)
      }
    })()
    this.syncing.set(peer, run)
    void run.finally(() => this.syncDone(peer, run))
  }

  /** Stops a pull from `peer` that its push makes redundant; the digest check after the sync still runs. */
  private supersede(peer: string, stream: Stream): void {
    this.superseded.add(stream)
    this.again.add(peer)
    stream.abort(new Error('superseded by a push from the peer'))
  }

  /** After a sync: if a digest from this peer arrived meanwhile and still differs from ours, sync again. */
  private syncDone(peer: string, run: Promise<void>): void {
    if (this.syncing.get(peer) === run) this.syncing.delete(peer)
    this.recheck(peer)
  }

  /** Syncs again with `peer` if asked to meanwhile and its last digest still differs; not while it pushes to us. */
  private recheck(peer: string): void {
    if (this.syncing.has(peer) || this.pushedFrom.has(peer) || !this.again.delete(peer)) return
    const theirs = this.peerDigests.get(peer)
    if (theirs && !equalBytes(theirs, this.digest.get())) this.syncWith(peer)
  }


  // ------------------------------------------------------------------ internals

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown) => {
    this.queue(update, origin !== REMOTE_ORIGIN)
  }

  /** Queues an update for the next flush: stored, and published too when it is local. */
  private queue(update: Uint8Array, local: boolean): void {
    if (!local) this.pendingRemote.push(update)
    else {
      this.pendingLocal.push(update)
      this.pendingLocalBytes += update.byteLength
    }
    if (!this.flushTimer && !this.stopped) this.flushTimer = setTimeout(() => void this.flush(), this.opts.batchMs)
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
      // Local changes merged once: stored (with what peers sent meanwhile) and published as the same bytes.
      const mergedLocal = local.length > 0 ? mergeMany(local) : null
      const merged = mergedLocal && remote.length === 0 ? mergedLocal : mergeMany(mergedLocal ? [...remote, mergedLocal] : remote)
      // Persist before anyone hears of it: a published change must survive our crash.
      try {
        await this.store.append(merged)
      } catch (err) {
        this.opts.onStoreError?.(err as Error)
        throw err
      }
      this.stats.storedBytes += merged.byteLength
      this.opts.onStored?.(merged.byteLength)
      if (mergedLocal) {
        const msg = encodeGossip({ type: 'update', update: mergedLocal })
        if (msg.byteLength <= MAX_GOSSIP_MESSAGE) {
          await this.publish(msg)
          this.stats.published++
        } else {
          pushing = true
          if (!big) this.pushes++
          void this.pushToPeers(mergedLocal).finally(() => this.pushes--)
        }
      }
    } finally {
      if (big && !pushing) this.pushes--
    }
    if (!this.compacting && this.store.pendingCount >= this.opts.compactEvery) {
      this.compacting = true
      this.store
        .compact(this.doc)
        .catch((err) => this.log.error({ err: (err as Error).message }, 'ledger compaction failed'))
        .finally(() => (this.compacting = false))
    }
  }

  /**
   * Sends a large local change to every connected peer at once, then gossips a digest hint: a peer the
   * push missed (not connected, an older agent, a failed stream) sees a digest that differs and pulls.
   */
  private async pushToPeers(update: Uint8Array): Promise<void> {
    const self = this.host.peerId.toString()
    const peers = [...new Set(this.host.getConnections().map((c) => c.remotePeer.toString()))].filter((p) => p !== self && !this.opts.isBlocked?.(p))
    const limit = pLimit(PUSH_FAN_OUT)
    await Promise.all(peers.map((peer) => limit(async () => {
      if (this.stopped) return
      this.pushingTo.add(peer)
      try {
        const stream = await this.host.dialProtocol(peerIdFromString(peer), PUSH_PROTOCOL, { signal: AbortSignal.timeout(this.opts.syncTimeoutMs) })
        await sendPush(stream, update, { timeoutMs: this.opts.syncTimeoutMs })
        this.stats.pushed++
        this.opts.onTransferred?.(update.byteLength)
      } catch (err) {
        this.log.debug({ peer, err: (err as Error).message }, 'push failed; the peer pulls after the digest hint')
      } finally {
        this.pushingTo.delete(peer)
      }
    })))
    this.stats.hinted++
    await this.publishDigest(true)
  }

  /**
   * While a large change is on its way (being flushed or pushed) digests differ only because the push has
   * not landed yet; a sync started then would send the same megabytes a second time. Such digests are
   * ignored: the peer's next one, after the push, starts a sync if something still differs.
   */
  private pushInFlight(peer: string): boolean {
    return this.ownLargeChangeInFlight() || this.pushingTo.has(peer) || this.pushedFrom.has(peer)
  }

  /** A large local change of ours is waiting for its flush, being stored, or being pushed. */
  private ownLargeChangeInFlight(): boolean {
    return this.pendingLocalBytes > MAX_GOSSIP_MESSAGE || this.pushes > 0
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
    const v = checkLedgerMessage(msg)
    if (v.rejected) {
      this.stats.rejected++
      this.warn.warn(v.rejected.fields, v.rejected.msg)
    }
    return v.result
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
      if (!this.peerDigests.record(from, msg.sequenceNumber, decoded.value.digest)) return
      if (!equalBytes(decoded.value.digest, this.digest.get()) && !this.pushInFlight(from)) this.syncWith(from)
    }
  }
}

