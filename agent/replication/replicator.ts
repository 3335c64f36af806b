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
 * This class wires the pieces and owns the gossip side (topic, digests, applying updates); the write path
 * is flush-queue.ts, the syncs and inbound pushes peer-sync.ts, the outbound push push-fan-out.ts.
 */
import * as Y from 'yjs'
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { Logger } from 'pino'
import type { Host } from '../host/host.ts'
import type { LedgerStore } from '../persistence/store.ts'
import { DigestCache, PeriodicDigest } from './digest.ts'
import { LEDGER_TOPIC, decodeGossip, encodeGossip, equalBytes } from '../../protocol/wire.ts'
import { RateLimitedLog } from './rate-log.ts'
import { applyWithoutListener, checkDecodes } from './apply-remote.ts'
import { PeerDigests } from './peer-digests.ts'
import { checkLedgerMessage } from './gossip-check.ts'
import { FlushQueue } from './flush-queue.ts'
import { PeerSyncs, type SyncStat } from './peer-sync.ts'
import { PushFanOut } from './push-fan-out.ts'
import { strictlyBehind } from './peer-state-vectors.ts'

export type { SyncStat } from './peer-sync.ts'

/** Origin of updates that came from peers: never re-published, always stored. */
export const REMOTE_ORIGIN = Symbol('mmesh-remote')

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
  /**
   * The state vector a peer's latest heartbeat carried (null when it carried none): a digest that differs
   * only because the peer is behind us is left to the peer to pull (see `peerBehind`).
   */
  peerStateVector?: (peer: string) => ReadonlyMap<number, number> | null
}

export class Replicator {
  private aeTimer: NodeJS.Timeout | null = null
  private readonly digest: DigestCache
  private readonly periodicDigest = new PeriodicDigest()
  /** the newest digest each peer gossiped (stale ones dropped) */
  private readonly peerDigests = new PeerDigests()
  private readonly warn: RateLimitedLog
  private readonly flusher: FlushQueue
  private readonly syncs: PeerSyncs
  private readonly fanOut: PushFanOut
  private stopped = false
  /** counters for status and tests */
  readonly stats = { published: 0, hinted: 0, pushed: 0, pushesReceived: 0, syncPartsReceived: 0, applied: 0, rejected: 0, syncs: 0, syncsStarted: 0, syncFailures: 0, storedBytes: 0, lastSync: null as null | SyncStat, largestSync: null as null | SyncStat }

  constructor(
    private readonly host: Host,
    private readonly doc: Y.Doc,
    store: LedgerStore,
    private readonly log: Logger,
    private readonly opts: ReplicatorOptions,
  ) {
    this.digest = new DigestCache(doc)
    this.warn = new RateLimitedLog(log, 20, 10_000)
    const stopped = () => this.stopped
    const { isBlocked, syncTimeoutMs: timeoutMs, onTransferred } = opts
    this.fanOut = new PushFanOut({
      host, isBlocked, timeoutMs, stopped, log,
      onPushed: (bytes) => {
        this.stats.pushed++
        onTransferred?.(bytes)
      },
    })
    this.flusher = new FlushQueue({
      store, compact: () => store.compact(doc), batchMs: opts.batchMs, compactEvery: opts.compactEvery, log, stats: this.stats, stopped,
      publish: (msg) => this.publish(msg), push: (parts) => this.pushToPeers(parts),
      onStoreError: opts.onStoreError, onStored: opts.onStored,
    })
    this.syncs = new PeerSyncs({
      host, doc, apply: (u, from) => this.applyCatchUp(u, from), timeoutMs, isBlocked, stopped,
      digestDiffers: (peer) => !this.peerBehind(peer) && this.digestDiffers(peer), stats: this.stats, onTransferred, log, warn: this.warn,
      onPushReceived: () => this.periodicDigest.settle(this.digest.get()),
    })
  }

  async start(): Promise<void> {
    this.doc.on('update', this.onDocUpdate)
    const pubsub = this.host.services.pubsub
    pubsub.topicValidators.set(LEDGER_TOPIC, (_peer, msg) => this.validate(msg))
    pubsub.addEventListener('message', this.onMessage)
    pubsub.subscribe(LEDGER_TOPIC)
    await this.syncs.start()
    const tick = () => {
      if (this.stopped) return
      // Not while a large change is on its way, ours or one pushed to us: peers would pull what the push
      // brings them (from us, the parts we got first).
      if (!this.flusher.largeChangeInFlight() && !this.syncs.receivingPush() && this.periodicDigest.due(this.digest.get())) void this.publishDigest(false)
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
    await Promise.race([this.syncs.settled(), new Promise((r) => setTimeout(r, 2000).unref())])
  }

  /** Resolves once every change made so far is stored (and, if small enough, published). */
  flush(): Promise<void> {
    return this.flusher.flush()
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
    if (r.remote) this.flusher.queue(r.remote, false)
    if (r.local) this.flusher.queue(r.local, true)
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
  syncWith(peer: string, why: string): void {
    this.syncs.syncWith(peer, why)
  }

  // ------------------------------------------------------------------ internals

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown) => {
    this.flusher.queue(update, origin !== REMOTE_ORIGIN)
  }

  /** True when the last digest `peer` gossiped differs from ours. */
  private digestDiffers(peer: string): boolean {
    const theirs = this.peerDigests.get(peer)
    return theirs !== undefined && !equalBytes(theirs, this.digest.get())
  }

  /**
   * The peer's latest heartbeat showed it behind us: we held everything it had then, and more. Its digest
   * then differs because it lacks what we have (it pulls: our digest differs for it, and our heartbeat
   * shows us ahead), or because of what it wrote since (on its way by gossip; if that is lost, its next
   * heartbeat shows what we lack, and its next digest brings a sync). Under churn nearly every digest
   * differs, and both sides syncing on each cost each sync a pass over the whole document (the delete set
   * goes in every diff): at 30 agents, syncs were the largest share of an agent's CPU, growing with the
   * ledger. Equal state vectors (a difference in deletions only) and a peer with no vector still sync.
   */
  private peerBehind(peer: string): boolean {
    const theirs = this.opts.peerStateVector?.(peer)
    return theirs !== null && theirs !== undefined && strictlyBehind(this.doc, theirs)
  }

  /**
   * Sends a large local change to every connected peer at once, its parts in order on one stream each,
   * then gossips one digest hint: a peer the push missed (not connected, an older agent, a failed stream)
   * sees a digest that differs and pulls. A hint per part would have every peer pull the parts still on
   * their way.
   */
  private async pushToPeers(parts: Uint8Array[]): Promise<void> {
    await this.fanOut.send(parts)
    this.stats.hinted++
    await this.publishDigest(true)
  }

  /**
   * While a large change is on its way (being flushed or pushed) digests differ only because the push has
   * not landed yet; a sync started then would send the same megabytes a second time. Such digests are
   * ignored: the peer's next one, after the push, starts a sync if something still differs. That holds
   * while we receive a push from anyone: a peer that got a part before us differs by that part.
   */
  private pushInFlight(peer: string): boolean {
    return this.flusher.largeChangeInFlight() || this.fanOut.has(peer) || this.syncs.receivingPush()
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
      // the cheap checks first: our digest is a pass over the whole document after each change
      if (!this.pushInFlight(from) && !this.peerBehind(from) && !equalBytes(decoded.value.digest, this.digest.get())) this.syncs.syncWith(from, 'its digest differs')
    }
  }
}
