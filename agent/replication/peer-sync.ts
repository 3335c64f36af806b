/**
 * Direct catch-up with one peer at a time: the state-vector sync each new outbound connection (and each
 * differing digest) starts, the syncs peers start with us, and the large changes peers push to us. They
 * live together because they decide about each other: requests for a peer already syncing coalesce, a
 * push from a peer stops the pull from it that it makes redundant, and after either the peer's last
 * digest decides whether to sync again.
 */
import * as Y from 'yjs'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger } from 'pino'
import type { Stream } from '@libp2p/interface'
import type { Host } from '../host/host.ts'
import { PUSH_PROTOCOL, SYNC_PARTS_PROTOCOL, SYNC_PROTOCOL } from '../../protocol/wire.ts'
import { runSync, type SendParts } from './sync.ts'
import { receivePush, sendPush } from './push.ts'
import { PeerCounts } from './peer-counts.ts'
import type { RateLimitedLog } from './rate-log.ts'

/** How long a fresh agent's first pull may run before the peers waiting behind it sync anyway. */
const FIRST_PULL_ALONE_MS = 20_000

export interface SyncStat {
  peer: string
  ms: number
  received: number
  sent: number
}

export interface PeerSyncsDeps {
  host: Pick<Host, 'peerId' | 'dialProtocol' | 'handle' | 'addEventListener'>
  doc: Y.Doc
  /** applies a catch-up from a peer; never throws */
  apply(update: Uint8Array, from: string): boolean
  timeoutMs: number
  isBlocked?: (peerId: string) => boolean
  stopped(): boolean
  /** true when the newest digest `peer` gossiped differs from ours */
  digestDiffers(peer: string): boolean
  stats: { pushesReceived: number; syncPartsReceived: number; syncs: number; syncsStarted: number; syncFailures: number; lastSync: SyncStat | null; largestSync: SyncStat | null }
  /** after a push from a peer was applied whole */
  onPushReceived?: () => void
  /** after a sync with the bytes this agent sent */
  onTransferred?: (bytes: number) => void
  log: Logger
  warn: RateLimitedLog
}

export class PeerSyncs {
  private readonly syncing = new Map<string, Promise<void>>()
  private readonly again = new Set<string>()
  /** our outbound sync streams by peer, so a push from that peer can stop the pull it makes redundant */
  private readonly syncStreams = new Map<string, Stream>()
  private readonly superseded = new WeakSet<Stream>()
  /** peers pushing a large change to us; counted: pushes can overlap */
  private readonly pushedFrom = new PeerCounts()
  /**
   * Until one sync of ours has succeeded, the one running: a fresh agent pulls the ledger from one peer,
   * then syncs with the others (by then there is little left to send). It used to pull from every peer
   * it met at once: each encoded the whole ledger for it (40 MB at 100,000 tasks, seconds of CPU each) and
   * it decoded every copy, holding its own and its peers' event loops on a 2-core machine.
   */
  private firstPull: Promise<void> | null = null
  private pulledOnce = false
  /**
   * Peers to sync with once nothing holds syncs back: the first pull, or a push coming in (a sync then,
   * with a peer that got other parts of the same push, sends both sides those parts twice).
   */
  private readonly held = new Set<string>()
  /** bytes of the parts each peer sent us for the sync running with it (counted as that sync's) */
  private readonly partsReceived = new Map<string, number>()

  constructor(private readonly deps: PeerSyncsDeps) {}

  /** Answers syncs and pushes from peers, and syncs with each peer this agent dials. */
  async start(): Promise<void> {
    const { host, doc, timeoutMs, stats } = this.deps
    await host.handle(SYNC_PROTOCOL, (stream, connection) => {
      const peer = connection.remotePeer.toString()
      if (this.deps.isBlocked?.(peer)) {
        stream.abort(new Error('blocked'))
        return
      }
      if ((this.firstPull || this.pushedFrom.size > 0) && !this.syncing.has(peer)) {
        // busy pulling the ledger from another peer, or taking a push or a catch-up in parts: this one is
        // synced with right after (a peer that got more of the same push first would send us those parts)
        stream.abort(new Error(this.firstPull ? 'catching up from another peer first' : 'taking a push first'))
        this.held.add(peer)
        return
      }
      // Registered like an outbound sync, so a digest from this peer meanwhile does not start a second one.
      const t0 = performance.now()
      const run = runSync(stream, doc, (u) => this.deps.apply(u, `sync from ${peer}`), { timeoutMs, sendParts: this.partsTo(peer) })
        .then((r) => this.synced(peer, t0, r, 'sync from the peer'))
        .catch((err) => {
          stats.syncFailures++
          this.partsReceived.delete(peer)
          this.deps.warn.warn({ peer, err: (err as Error).message }, 'sync stream from peer rejected')
        })
      if (!this.syncing.has(peer)) {
        this.syncing.set(peer, run)
        void run.finally(() => this.syncDone(peer, run))
      }
    }, { maxInboundStreams: 8 })
    await this.handleParts(PUSH_PROTOCOL, 'push', {
      // A sync we asked this peer for a moment ago (a dial can take a second on a busy machine) would
      // bring the same megabytes the push is bringing: stop it, and check again after the push.
      opened: (peer) => {
        const pull = this.syncStreams.get(peer)
        if (pull) this.supersede(peer, pull)
      },
      done: (_peer, parts) => {
        stats.pushesReceived += parts
        this.deps.onPushReceived?.()
      },
    })
    // The parts of what a sync running now with this peer brings us: unlike a push, they do not make that
    // sync redundant (it ends once they have come).
    await this.handleParts(SYNC_PARTS_PROTOCOL, 'sync parts', {
      applied: (peer, update) => {
        stats.syncPartsReceived++
        this.partsReceived.set(peer, (this.partsReceived.get(peer) ?? 0) + update.byteLength)
      },
    })
    host.addEventListener('connection:open', (evt) => {
      const conn = evt.detail
      // One side starts the sync of a new connection: the dialer.
      if (conn.direction === 'outbound') this.syncWith(conn.remotePeer.toString(), 'new connection')
    })
  }

  /**
   * Takes streams of acknowledged parts on `protocol` (a push, a sync's catch-up in parts), applying each
   * as it comes; while one comes in, other syncs wait and this agent does not gossip its digest.
   */
  private async handleParts(
    protocol: string,
    kind: string,
    on: { opened?: (peer: string) => void; applied?: (peer: string, update: Uint8Array) => void; done?: (peer: string, parts: number) => void },
  ): Promise<void> {
    await this.deps.host.handle(protocol, (stream, connection) => {
      const peer = connection.remotePeer.toString()
      if (this.deps.isBlocked?.(peer) || this.deps.stopped()) {
        stream.abort(new Error('blocked'))
        return
      }
      this.pushedFrom.add(peer)
      on.opened?.(peer)
      void receivePush(stream, (u) => {
        on.applied?.(peer, u)
        this.deps.apply(u, `${kind} from ${peer}`)
      }, { timeoutMs: this.deps.timeoutMs })
        .then((parts) => on.done?.(peer, parts))
        .catch((err) => this.deps.warn.warn({ peer, err: (err as Error).message }, `${kind} stream from peer rejected`))
        .finally(() => {
          this.pushedFrom.delete(peer)
          this.recheck(peer)
          this.releaseHeld(`after a ${kind} to us`)
        })
    }, { maxInboundStreams: 4 })
  }

  /** Sends a sync's large catch-up to `peer` in parts, or answers null when it does not take them. */
  private partsTo(peer: string): SendParts {
    return async (parts, signal) => {
      let stream: Stream
      try {
        stream = await this.deps.host.dialProtocol(peerIdFromString(peer), SYNC_PARTS_PROTOCOL, { signal })
      } catch (err) {
        if (signal.aborted) throw err
        return null
      }
      let sent = 0
      await sendPush(stream, parts, { timeoutMs: this.deps.timeoutMs, signal, onPart: (bytes) => (sent += bytes) })
      return sent
    }
  }

  /** Counts a sync that ended well, either side having started it: both bring the ledger in. */
  private synced(peer: string, t0: number, r: { sent: number; received: number }, why: string): void {
    const { stats } = this.deps
    stats.syncs++
    this.deps.onTransferred?.(r.sent)
    const received = r.received + (this.partsReceived.get(peer) ?? 0)
    this.partsReceived.delete(peer)
    const stat = { peer, ms: Math.round(performance.now() - t0), received, sent: r.sent }
    stats.lastSync = stat
    if (!stats.largestSync || stat.received > stats.largestSync.received) stats.largestSync = stat
    // worth knowing: a pull this large after the first one means a push or a digest missed
    if (received >= 1024 * 1024) this.deps.log.info({ peer, why, received, ms: stat.ms }, 'large sync received')
  }

  /** Settles when the syncs running now have ended. */
  settled(): Promise<unknown> {
    return Promise.allSettled([...this.syncing.values()])
  }

  /** True while any peer pushes a large change to us. */
  receivingPush(): boolean {
    return this.pushedFrom.size > 0
  }

  /** Direct sync with one peer (dialing it if needed); concurrent requests for one peer coalesce. */
  syncWith(peer: string, why: string): void {
    const { host, stats, timeoutMs } = this.deps
    if (this.deps.stopped() || peer === host.peerId.toString() || this.deps.isBlocked?.(peer)) return
    if (this.syncing.has(peer)) {
      this.again.add(peer)
      return
    }
    if (this.firstPull || this.pushedFrom.size > 0) {
      this.held.add(peer)
      return
    }
    let ok = false
    const run = (async () => {
      let stream: Stream | null = null
      try {
        stream = await host.dialProtocol(peerIdFromString(peer), SYNC_PROTOCOL, {
          signal: AbortSignal.timeout(timeoutMs),
        })
        this.syncStreams.set(peer, stream)
        if (this.pushedFrom.has(peer)) this.supersede(peer, stream)
        const t0 = performance.now()
        const r = await runSync(stream, this.deps.doc, (u) => this.deps.apply(u, `sync with ${peer}`), { timeoutMs, sendParts: this.partsTo(peer) })
        ok = true
        stats.syncsStarted++
        this.synced(peer, t0, r, why)
      } catch (err) {
        if (stream && this.superseded.has(stream)) this.deps.log.debug({ peer }, 'sync stopped: a push from the peer brings the change')
        else {
          stats.syncFailures++
          this.deps.log.debug({ peer, err: (err as Error).message }, 'sync failed')
        }
      } finally {
        this.partsReceived.delete(peer)
        if (stream && this.syncStreams.get(peer) === stream) this.syncStreams.delete(peer)
      }
    })()
    this.syncing.set(peer, run)
    if (!this.pulledOnce) {
      this.firstPull = run
      // A pull that hangs (a peer cut off mid-stream) holds the others back FIRST_PULL_ALONE_MS at most.
      const alone = setTimeout(() => this.endFirstPull(run), FIRST_PULL_ALONE_MS)
      alone.unref?.()
      void run.finally(() => {
        clearTimeout(alone)
        if (ok) this.pulledOnce = true
        this.endFirstPull(run)
      })
    }
    void run.finally(() => this.syncDone(peer, run))
  }

  private endFirstPull(run: Promise<void>): void {
    if (this.firstPull !== run) return
    this.firstPull = null
    this.releaseHeld('after the first pull')
  }

  /** Syncs with the peers held back, once nothing holds them; after a failed first pull the first of them pulls first. */
  private releaseHeld(why: string): void {
    if (this.firstPull || this.pushedFrom.size > 0) return
    const waiting = [...this.held]
    this.held.clear()
    for (const p of waiting) this.syncWith(p, why)
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
    if (this.deps.digestDiffers(peer)) this.syncWith(peer, 'its digest still differs')
  }
}
