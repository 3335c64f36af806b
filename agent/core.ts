/**
 * The agent's core: the ledger restored from its store, the libp2p host, replication, the dialer and
 * presence. The composition root (agent.ts) builds it and hands its pieces, one by one, to the services
 * above it; nothing else sees the whole.
 */
import os from 'node:os'
import * as Y from 'yjs'
import type { Logger } from 'pino'
import type { PrivateKey } from '@libp2p/interface'
import { Ledger, type RecordSigner } from '../protocol/ledger.ts'
import { files } from '../api/data-dir.ts'
import type { Host } from './host/host.ts'
import { startHost, connectedPeers } from './host/start-host.ts'
import { Dialer } from './host/dialer.ts'
import { probe as probePeer, registerProbe } from './host/probe.ts'
import { createSigner, createVerifier } from './host/signatures.ts'
import { openRootDb, LedgerStore, type RootDb } from './persistence/store.ts'
import { Replicator } from './replication/replicator.ts'
import { RateLimitedLog } from './replication/rate-log.ts'
import { createMemoryReleaser } from './replication/release-memory.ts'
import { createCatchUpMeter, type CatchUpMeter } from './replication/catch-up.ts'
import { createStateVectorCache } from './replication/peer-state-vectors.ts'
import { Presence } from './presence/presence.ts'
import { createHlcClock, type HlcClock } from './hlc-clock.ts'
import type { PeerGate } from './plugins.ts'

export interface CoreOptions {
  dataDir: string
  privateKey: PrivateKey
  psk: Uint8Array
  /** listen addresses asked for (flags) and those this dir had last time */
  listen: { wanted?: string[]; saved?: string[] }
  mdns: boolean
  peers: string[]
  dialTimeoutMs: number
  batchMs: number
  antiEntropyMs: number
  heartbeatMs: number
  /** what presence says about this agent */
  self: { name: string; group: string; version: string; capacity: number }
  logger: Logger
  /** the ledger database refused a write: the agent cannot go on */
  onStoreError: (err: Error, dbPath: string) => void
  peerGate?: PeerGate
  /** what to undo if the start fails half-way (run in reverse) */
  cleanups: (() => Promise<void> | void)[]
}

export interface Core {
  readonly peerId: string
  readonly db: RootDb
  readonly ledger: Ledger
  readonly signer: RecordSigner
  readonly host: Host
  readonly replicator: Replicator
  readonly dialer: Dialer
  readonly presence: Presence
  readonly clock: HlcClock
  /** how many records this agent (or a peer, by its heartbeat) is behind */
  readonly catchUp: CatchUpMeter
  /** the listen addresses asked for (ports may be 0) */
  readonly listen: string[]
  /** multiaddrs this host listens on */
  addresses(): string[]
  probe(peerId: string, timeoutMs: number): Promise<boolean>
  /** resolves once every change so far is stored in level (and gossiped when small) */
  flush(): Promise<void>
  /** `bytes` were just built and sent (a large control reply): their garbage is collected soon */
  afterLargeWrite(bytes: number): void
  /** heartbeats and dialing begin */
  start(): void
  /** leaves the fleet: presence, dialing and replication stop, the ledger is compacted, the host stops */
  stopNetwork(): Promise<void>
  /** closes the ledger's store (after stopNetwork) */
  close(): Promise<void>
}

export async function startCore(o: CoreOptions): Promise<Core> {
  const { logger, cleanups } = o
  const isBlocked = o.peerGate ? (p: string) => o.peerGate!.isBlocked(p) : undefined

  // The ledger, restored from level before anything can change it.
  const dbPath = files(o.dataDir).db
  const db = await openRootDb(dbPath, o.dataDir)
  cleanups.push(() => db.close())
  const store = new LedgerStore(db)
  const doc = new Y.Doc()
  const restored = await store.load(dbPath)
  if (restored) Y.applyUpdate(doc, restored, 'restore')
  const invalidLog = new RateLimitedLog(logger, 20, 10_000)
  const ledger = new Ledger(doc, {
    verify: createVerifier(),
    onInvalid: (map, key, reason) => invalidLog.warn({ map, key, reason }, 'ignoring an invalid ledger record'),
  })

  const { host, listen } = await startHost({
    privateKey: o.privateKey, psk: o.psk, mdns: o.mdns, dialTimeoutMs: o.dialTimeoutMs,
    ...(o.peerGate ? { gater: o.peerGate.gater } : {}),
    wanted: o.listen.wanted, saved: o.listen.saved, logger,
  })
  cleanups.push(() => host.stop())
  const peerId = host.peerId.toString()
  const signer = createSigner(peerId, o.privateKey)
  const addresses = () => host.getMultiaddrs().map((a) => a.toString())

  let storeFailed = false
  const memoryReleaser = createMemoryReleaser()
  // Made after the replicator (whose digests may arrive first); read through this until then.
  let presenceRef: Presence | null = null
  const heartbeatVector = createStateVectorCache()
  const replicator = new Replicator(host, doc, store, logger, {
    onStoreError: (err) => {
      if (storeFailed) return
      storeFailed = true
      o.onStoreError(err, dbPath)
    },
    batchMs: o.batchMs,
    antiEntropyMs: o.antiEntropyMs,
    syncTimeoutMs: 60_000,
    compactEvery: 500,
    ...(o.peerGate ? { isBlocked: (p: string) => o.peerGate!.isBlocked(p) || (o.peerGate!.isLedgerBlocked?.(p) ?? false) } : {}),
    onStored: (bytes) => memoryReleaser.afterWrite(bytes),
    onTransferred: (bytes) => memoryReleaser.afterWrite(bytes),
    peerStateVector: (peer) => (presenceRef?.isOnline(peer) ? heartbeatVector(peer, presenceRef.peers().get(peer)?.message.fields.sv) : null),
  })
  await replicator.start()
  await registerProbe(host)
  const dialer = new Dialer(host, logger, { peers: o.peers, dialTimeoutMs: o.dialTimeoutMs, isBlocked })
  const presence = new Presence(host, { ...o.self, host: os.hostname() }, logger, {
    intervalMs: o.heartbeatMs,
    addrs: addresses,
    knownPeers: () => connectedPeers(host),
    onPeerAddrs: (id, addrs) => void dialer.dialKnown(id, addrs),
    isBlocked,
  })
  presenceRef = presence

  const catchUp = createCatchUpMeter({
    self: peerId,
    doc,
    *peerFields() {
      for (const [id, p] of presence.peers()) if (presence.isOnline(id)) yield [id, p.message.fields]
    },
    publish: (n) => presence.setField('catchingUp', n > 0 ? n : undefined),
  })

  return {
    catchUp,
    peerId, db, ledger, signer, host, replicator, dialer, presence, listen, addresses,
    clock: createHlcClock(ledger, peerId),
    probe: (p, ms) => probePeer(host, p, ms, isBlocked),
    flush: () => replicator.flush(),
    afterLargeWrite: (bytes) => memoryReleaser.afterWrite(bytes),
    start() {
      presence.start()
      dialer.start()
    },
    async stopNetwork() {
      presence.stop()
      dialer.stop()
      await replicator.stop()
      memoryReleaser.stop()
      catchUp.stop()
      if (store.pendingCount > 0) await store.compact(doc).catch((err) => logger.error({ err: (err as Error).message }, 'final compaction failed'))
      await Promise.resolve(host.stop()).catch(() => {})
    },
    async close() {
      await store.flushed()
      await db.close().catch(() => {})
    },
  }
}
