/**
 * The agent: composes config, identity, the libp2p host, the replicated ledger, persistence, presence and
 * the control endpoint, then starts the extensions (scheduler, engine, …) on top. See ARCH-NOTES-core.md.
 */
import fs from 'node:fs'
import os from 'node:os'
import * as Y from 'yjs'
import pino, { type Logger } from 'pino'
import { Ledger, type RecordSigner } from '../protocol/ledger.ts'
import { formatHlc, parseHlc, tickHlc, compareHlc, type Hlc } from '../protocol/hlc.ts'
import { ensureDataDir, ensurePrivateSocketDir, writeFileAtomic } from './config/data-dir.ts'
import { files, controlSocketPath } from '../api/data-dir.ts'
import { EXIT } from '../api/errors.ts'
import { packageVersion } from '../api/package-info.ts'
import { resolveFleetKey } from './config/fleet-key.ts'
import { loadOrCreateIdentity } from './config/identity.ts'
import { lockDataDir, type DirLock } from './config/lock.ts'
import { listenAddresses, mergeSettings, readConfig, writeConfig, type PathMap } from './config/agent-config.ts'
import { createHost, type Host } from './host/host.ts'
import { TestGate } from '../test/support/gate.ts'
import { Dialer } from './host/dialer.ts'
import { probe as probePeer, registerProbe } from './host/probe.ts'
import { createSigner, createVerifier } from './host/signatures.ts'
import { openRootDb, LedgerStore, type RootDb } from './persistence/store.ts'
import { Replicator } from './replication/replicator.ts'
import { RateLimitedLog } from './replication/rate-log.ts'
import { Presence } from './presence/presence.ts'
import { ControlServer } from './control/server.ts'
import { registerCoreControl } from './agent-control.ts'
import { registerTestHooks } from '../test/support/agent-test-hooks.ts'
import type { Extension } from './extensions.ts'
import { createMemoryReleaser } from './replication/release-memory.ts'

export interface AgentOptions {
  dataDir: string
  fleetKeyFile?: string
  name?: string
  group?: string
  capacity?: number
  leaseTtlSeconds?: number
  maps?: PathMap[]
  listen?: string[]
  peers?: string[]
  mdns?: boolean
  tui?: boolean
  /** presence heartbeat (default MMESH_HEARTBEAT_MS or 2000) */
  heartbeatMs?: number
  /** digest gossip period (default MMESH_ANTI_ENTROPY_MS or 3000) */
  antiEntropyMs?: number
  batchMs?: number
  dialTimeoutMs?: number
  /** test hooks (control methods test.*, connection gate); default: MMESH_TEST_HOOKS=1 */
  testHooks?: boolean
  logger?: Logger
  /** one-line notices for the admin (default: stderr) */
  notice?: (msg: string) => void
  /** the data dir lock, when the caller took it already (the CLI does, before loading libp2p) */
  lock?: DirLock
  /** start the extensions (scheduler, engine); default true unless MMESH_EXTENSIONS=0 (core-only tests, benches) */
  extensions?: boolean
  /**
   * The agent cannot go on (its ledger database refuses writes). Default: say why on stderr and exit
   * with `exitCode`; its leases pass to other agents after the TTL.
   */
  onFatal?: (message: string, exitCode: number) => void
}

export interface Agent {
  readonly peerId: string
  readonly name: string
  readonly group: string
  readonly capacity: number
  readonly leaseTtlMs: number
  readonly maps: PathMap[]
  readonly dataDir: string
  readonly tui: boolean
  readonly version: string
  readonly ledger: Ledger
  readonly signer: RecordSigner
  readonly presence: Presence
  readonly control: ControlServer
  readonly db: RootDb
  readonly host: Host
  readonly replicator: Replicator
  readonly logger: Logger
  readonly testHooks: boolean
  /** multiaddrs with /p2p/<peerId>, as printed by `mmesh start` */
  addresses(): string[]
  nextHlc(): string
  /** feed an HLC seen elsewhere, so the next local one sorts after it */
  observeHlc(hlc: string): void
  /** resolves once every change so far is stored in level (and gossiped when small) */
  flush(): Promise<void>
  probe(peerId: string, timeoutMs: number): Promise<boolean>
  stop(): Promise<void>
  /** resolves when the agent has stopped (by stop(), `mmesh stop` or a signal handler calling stop) */
  readonly stopped: Promise<void>
}

const envMs = (name: string): number | undefined => {
  const v = Number(process.env[name])
  return Number.isFinite(v) && v > 0 ? v : undefined
}

export const VERSION: string = packageVersion()

export function createLogger(): Logger {
  return pino({ level: process.env.MMESH_LOG_LEVEL ?? 'info', base: undefined }, pino.destination({ fd: 2, sync: true }))
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const dir = options.dataDir
  const logger = options.logger ?? createLogger()
  const notice = options.notice ?? ((m: string) => process.stderr.write(`${m}\n`))
  const testHooks = options.testHooks ?? process.env.MMESH_TEST_HOOKS === '1'
  ensureDataDir(dir)
  const lock = options.lock ?? lockDataDir(dir)
  const cleanups: (() => Promise<void> | void)[] = [() => lock.release()]
  const undo = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {})
  }
  try {
    return await startLocked(options, dir, logger, notice, testHooks, lock, cleanups)
  } catch (err) {
    await undo()
    throw err
  }
}

async function startLocked(
  options: AgentOptions, dir: string, logger: Logger, notice: (m: string) => void, testHooks: boolean,
  lock: DirLock, cleanups: (() => Promise<void> | void)[],
): Promise<Agent> {
  const saved = readConfig(dir)
  const settings = mergeSettings(saved, options)
  const { psk } = resolveFleetKey(dir, options.fleetKeyFile, notice)
  const privateKey = await loadOrCreateIdentity(dir)

  // The ledger, restored from level before anything can change it.
  const dbPath = files(dir).db
  const db = await openRootDb(dbPath, dir)
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

  // The host, on the ports this dir had last time when possible.
  const gate = testHooks ? new TestGate() : null
  if (gate && process.env.MMESH_TEST_ISOLATED === '1') gate.blockAll = true
  const isBlocked = gate ? (p: string) => gate.isBlocked(p) : undefined
  const dialTimeoutMs = options.dialTimeoutMs ?? 5000
  const wanted = options.listen && options.listen.length > 0 ? options.listen : undefined
  const hostOpts = { privateKey, psk, mdns: options.mdns ?? true, dialTimeoutMs, ...(gate ? { gater: gate.gater() } : {}) }
  let host: Host
  const listen = listenAddresses(wanted, saved.listen)
  try {
    host = await createHost({ ...hostOpts, listen })
  } catch (err) {
    const fallback = listen.map((a) => a.replace(/\/tcp\/\d+$/, '/tcp/0'))
    if (JSON.stringify(fallback) === JSON.stringify(listen)) throw err
    logger.warn({ listen, err: (err as Error).message }, 'cannot listen on the saved addresses; taking new ports')
    host = await createHost({ ...hostOpts, listen: fallback })
  }
  cleanups.push(() => host.stop())
  const peerId = host.peerId.toString()
  const signer = createSigner(peerId, privateKey)
  const addresses = () => host.getMultiaddrs().map((a) => a.toString())

  let fatal = false
  const onFatal = options.onFatal ?? ((message: string, exitCode: number) => {
    process.stderr.write(`mmesh: ${message}\n`)
    process.exit(exitCode)
  })
  const memoryReleaser = createMemoryReleaser()
  const replicator = new Replicator(host, doc, store, logger, {
    onStoreError: (err) => {
      if (fatal) return
      fatal = true
      logger.error({ err: err.message, db: dbPath }, 'the ledger database refuses writes; stopping')
      onFatal(`cannot write the ledger database ${dbPath} (${err.message}): the data dir is full or not writable; free space or fix it, then start the agent again`, EXIT.dataDirBusy)
    },
    batchMs: options.batchMs ?? envMs('MMESH_BATCH_MS') ?? 30,
    antiEntropyMs: options.antiEntropyMs ?? envMs('MMESH_ANTI_ENTROPY_MS') ?? 3000,
    syncTimeoutMs: 60_000,
    compactEvery: 500,
    isBlocked,
    onStored: (bytes) => memoryReleaser.afterWrite(bytes),
    onTransferred: (bytes) => memoryReleaser.afterWrite(bytes),
  })
  await replicator.start()
  await registerProbe(host)
  const dialer = new Dialer(host, logger, { peers: options.peers ?? [], dialTimeoutMs, isBlocked })
  if (gate) gate.onUnblock = () => dialer.resetBackoff()
  const presence = new Presence(host, { name: settings.name, host: os.hostname(), group: settings.group, version: VERSION, capacity: settings.capacity }, logger, {
    intervalMs: options.heartbeatMs ?? envMs('MMESH_HEARTBEAT_MS') ?? 2000,
    addrs: addresses,
    knownPeers: async () => {
      const out: { id: string; addrs: string[] }[] = []
      const seen = new Set<string>()
      for (const c of host.getConnections()) {
        const id = c.remotePeer.toString()
        if (seen.has(id)) continue
        seen.add(id)
        const rec = await host.peerStore.get(c.remotePeer).catch(() => null)
        const addrs = rec ? rec.addresses.map((a) => a.multiaddr.toString()) : []
        out.push({ id, addrs: addrs.length > 0 ? addrs : [c.remoteAddr.toString()] })
      }
      return out
    },
    onPeerAddrs: (id, addrs) => void dialer.dialKnown(id, addrs),
    isBlocked,
  })

  // HLCs: the next local one sorts after every command seen.
  let lastHlc: Hlc | null = null
  let seenHlc: Hlc | null = null
  const observeHlc = (s: string) => {
    const h = parseHlc(s)
    if (h && (seenHlc === null || compareHlc(h, seenHlc) > 0)) seenHlc = h
  }
  for (const c of ledger.commands()) observeHlc(c.hlc)
  ledger.onChange((ch) => {
    if (ch.map !== 'commands' || ch.local) return
    for (const key of ch.keys) {
      const hlc = key.slice(key.indexOf('/') + 1)
      observeHlc(hlc)
    }
  })
  const nextHlc = () => {
    lastHlc = tickHlc(lastHlc, seenHlc, Date.now(), peerId)
    return formatHlc(lastHlc)
  }

  const control = new ControlServer(logger)
  const socketPath = controlSocketPath(dir)
  let resolveStopped!: () => void
  const stopped = new Promise<void>((r) => (resolveStopped = r))
  let extensions: Extension | null = null
  let stopping: Promise<void> | null = null

  const agent: Agent = {
    peerId, name: settings.name, group: settings.group, capacity: settings.capacity,
    leaseTtlMs: settings.leaseTtlSeconds * 1000, maps: settings.maps, dataDir: dir, tui: options.tui ?? false,
    version: VERSION, ledger, signer, presence, control, db, host, replicator, logger, testHooks,
    addresses, nextHlc, observeHlc,
    flush: () => replicator.flush(),
    probe: (p, ms) => probePeer(host, p, ms, isBlocked),
    stopped,
    stop() {
      stopping ??= (async () => {
        logger.info('stopping')
        if (extensions) await extensions.stop().catch((err) => logger.error({ err: (err as Error).message }, 'extensions failed to stop'))
        presence.stop()
        dialer.stop()
        await replicator.stop()
        memoryReleaser.stop()
        if (store.pendingCount > 0) await store.compact(doc).catch((err) => logger.error({ err: (err as Error).message }, 'final compaction failed'))
        await Promise.resolve(host.stop()).catch(() => {})
        await control.close(socketPath)
        await store.flushed()
        await db.close().catch(() => {})
        lock.release()
        resolveStopped()
      })()
      return stopping
    },
  }

  registerCoreControl(control, {
    peerId, name: settings.name, group: settings.group, version: VERSION, addresses,
    connectedPeers: () => host.getConnections().map((c) => c.remotePeer.toString()),
    ledger, presence, digest: () => replicator.currentDigest(), replicationStats: () => replicator.stats,
    nextHlc, flush: () => replicator.flush(), stop: () => agent.stop(),
  })
  if (testHooks) registerTestHooks(agent, gate!)
  ensurePrivateSocketDir(socketPath, dir)
  await control.listen(socketPath)
  cleanups.push(() => control.close(socketPath))
  if (socketPath !== `${dir}/control.sock`) writeFileAtomic(files(dir).controlPathRecord, `${socketPath}\n`, 0o600)
  else fs.rmSync(files(dir).controlPathRecord, { force: true })

  presence.start()
  dialer.start()

  // The durable entry: written once, rewritten only when name or group change (an idle fleet adds nothing).
  let firstSeen = ledger.agent(peerId)?.firstSeen ?? new Date().toISOString()
  const ensureOwnEntry = () => {
    const mine = ledger.agent(peerId)
    if (mine) firstSeen = mine.firstSeen
    if (!mine || mine.name !== settings.name || mine.group !== settings.group) {
      ledger.putAgent(signer, { id: peerId, name: settings.name, host: os.hostname(), group: settings.group, firstSeen, version: VERSION })
    }
  }
  ensureOwnEntry()
  // Any member can overwrite any key; readers ignore an entry whose signature fails, so one written over
  // ours would erase us from the fleet's view once we are offline. Write it again (after this change).
  ledger.onChange((ch) => {
    if (ch.map === 'agents' && !ch.local && ch.keys.includes(peerId)) queueMicrotask(ensureOwnEntry)
  })
  await replicator.flush()

  writeConfig(dir, { ...saved, ...settingsToSave(settings), listen: boundListen(listen, addresses()) })
  if (options.extensions ?? process.env.MMESH_EXTENSIONS !== '0') {
    // Loaded only when used, so the core runs (and is tested) on its own.
    const { startExtensions } = await import('./extensions.ts')
    extensions = await startExtensions(agent)
  }
  logger.info({ peerId, name: settings.name, group: settings.group, tasks: ledger.taskCount() }, 'agent started')
  return agent
}

function settingsToSave(s: ReturnType<typeof mergeSettings>) {
  return { name: s.name, group: s.group, capacity: s.capacity, leaseTtlSeconds: s.leaseTtlSeconds, maps: s.maps }
}

/** The listen addresses with the ports they actually got, to be reused on the next start. */
function boundListen(listen: string[], bound: string[]): string[] {
  return listen.map((addr) => {
    const m = /^\/(ip4|ip6)\/([^/]+)\/tcp\/0$/.exec(addr)
    if (!m) return addr
    const same = bound.find((b) => b.startsWith(`/${m[1]}/${m[2]}/tcp/`)) ?? bound.find((b) => b.startsWith(`/${m[1]}/`))
    const port = same ? /\/tcp\/(\d+)/.exec(same)?.[1] : undefined
    return port ? `/${m[1]}/${m[2]}/tcp/${port}` : addr
  })
}
