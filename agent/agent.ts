/**
 * The composition root of an agent: reads its config and environment, builds the core (ledger store,
 * host, replication, presence: core.ts), the control endpoint and the services above the core
 * (scheduler, engine, tasks, items, reports, fleet feed: services.ts), hands each one the pieces it uses
 * and owns the start and stop order. Nothing else sees every part. Tests plug their hooks in here
 * (plugins.ts); production passes none.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino, { type Logger } from 'pino'
import { ensureDataDir, ensurePrivateSocketDir, writeFileAtomic } from './config/data-dir.ts'
import { files, controlSocketPath } from '../api/data-dir.ts'
import { EXIT } from '../api/errors.ts'
import { packageVersion } from '../api/package-info.ts'
import { resolveFleetKey } from './config/fleet-key.ts'
import { loadOrCreateIdentity } from './config/identity.ts'
import { lockDataDir, type DirLock } from './config/lock.ts'
import { mergeSettings, normalizeRoot, readConfig, writeConfig, type AgentSettings, type PathMap } from './config/agent-config.ts'
import type { AccessPolicy } from '../protocol/access.ts'
import { readAgentEnv, readLogLevel, type AgentEnv } from './config/env.ts'
import { boundListen } from './host/start-host.ts'
import { ControlServer } from './control/server.ts'
import { registerCoreControl } from './agent-control.ts'
import { registerFleetConfigControl } from './fleet-config-control.ts'
import { registerTaskControl } from './tasks/task-control.ts'
import { fleetRecentFailures } from './items/recent-failures.ts'
import { registerUserMapControl } from './usermap/usermap-control.ts'
import { registerReportControl } from './reports/report-control.ts'
import { startCore } from './core.ts'
import { localTimeZone, watchAgentProfile } from './agent-profile.ts'
import { RotatingLog } from './logs/rotating-log.ts'
import { keepOwnEntry } from './own-entry.ts'
import type { Services } from './services.ts'
import type { AgentPlugins } from './plugins.ts'

export type { AgentPlugins } from './plugins.ts'

export interface AgentOptions {
  dataDir: string
  fleetKeyFile?: string
  name?: string
  group?: string
  capacity?: number
  /** `--max-mbps`: this agent's bandwidth limit, Mbit/s (0: none); the fleet's `agent set` overrides it */
  maxMbps?: number
  leaseTtlSeconds?: number
  maps?: PathMap[]
  /** `--source-root` folders (absolute); `--map` targets count as source roots too */
  sourceRoots?: string[]
  /** `--dest-root` folders (absolute) */
  destRoots?: string[]
  /** `--min-free-mb`: claim no new tasks below this much free space in the data dir's file system */
  minFreeMb?: number
  listen?: string[]
  peers?: string[]
  mdns?: boolean
  tui?: boolean
  /** timings and limits from the environment (default: config/env.ts reads process.env) */
  env?: AgentEnv
  dialTimeoutMs?: number
  logger?: Logger
  /** one-line notices for the admin (default: stderr) */
  notice?: (msg: string) => void
  /** the data dir lock, when the caller took it already (the CLI does, before loading libp2p) */
  lock?: DirLock
  /**
   * The agent cannot go on (its ledger database refuses writes). Default: say why on stderr and exit
   * with `exitCode`; its leases pass to other agents after the TTL.
   */
  onFatal?: (message: string, exitCode: number) => void
}

/** A started agent, as its starter (`mmesh start`) sees it. */
export interface RunningAgent {
  readonly peerId: string
  readonly name: string
  readonly tui: boolean
  /** multiaddrs with /p2p/<peerId>, as printed by `mmesh start` */
  addresses(): string[]
  stop(): Promise<void>
  /** resolves when the agent has stopped (by stop(), `mmesh stop` or a signal handler calling stop) */
  readonly stopped: Promise<void>
}

export const VERSION: string = packageVersion()

/**
 * Every line to stderr (the service manager's journal, or the admin's terminal) and to DIR/logs/agent.log,
 * rotated by size (`mmesh logs`). A log file that cannot be opened (a link at its name, a read-only disk)
 * leaves stderr alone, and the agent says so.
 */
function createLogger(dir: string, level: string = readLogLevel()): { logger: Logger; close: () => void } {
  const stderr = pino.destination({ fd: 2, sync: true })
  let file: RotatingLog | null = null
  let problem: string | null = null
  try {
    file = new RotatingLog(files(dir).logs)
  } catch (err) {
    problem = (err as Error).message
  }
  const logger = file ? pino({ level, base: undefined }, pino.multistream([{ level: level as pino.Level, stream: stderr }, { level: level as pino.Level, stream: file }])) : pino({ level, base: undefined }, stderr)
  if (problem) logger.warn({ err: problem }, 'cannot write the log file in the data dir: logging to stderr only')
  return { logger, close: () => file?.close() }
}

/** Starts an agent on `options.dataDir`. `plugins`: hooks for tests (test/support/test-agent.ts); production passes none. */
export async function startAgent(options: AgentOptions, plugins: AgentPlugins = {}): Promise<RunningAgent> {
  const dir = options.dataDir
  const env = options.env ?? readAgentEnv()
  ensureDataDir(dir)
  const lock = options.lock ?? lockDataDir(dir)
  // after the lock: a second agent on DIR fails there and never writes to this agent's log
  const own = options.logger ? null : createLogger(dir, env.logLevel)
  const logger = options.logger ?? own!.logger
  const cleanups: (() => Promise<void> | void)[] = [() => lock.release(), () => own?.close()]
  try {
    return await startLocked(options, plugins, env, logger, lock, cleanups)
  } catch (err) {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {})
    throw err
  }
}

async function startLocked(
  options: AgentOptions, plugins: AgentPlugins, env: AgentEnv, logger: Logger, lock: DirLock, cleanups: (() => Promise<void> | void)[],
): Promise<RunningAgent> {
  const dir = options.dataDir
  const notice = options.notice ?? ((m: string) => process.stderr.write(`${m}\n`))
  const saved = readConfig(dir)
  const settings = mergeSettings(saved, options)
  const access = accessPolicy(dir, settings)
  const { psk } = resolveFleetKey(dir, options.fleetKeyFile, notice)
  const privateKey = await loadOrCreateIdentity(dir)
  const onFatal = options.onFatal ?? ((message: string, exitCode: number) => {
    process.stderr.write(`mmesh: ${message}\n`)
    process.exit(exitCode)
  })

  const core = await startCore({
    dataDir: dir, privateKey, psk, logger, cleanups,
    listen: { wanted: options.listen, saved: saved.listen },
    mdns: options.mdns ?? true,
    peers: options.peers ?? [],
    dialTimeoutMs: options.dialTimeoutMs ?? 5000,
    batchMs: env.batchMs,
    antiEntropyMs: env.antiEntropyMs,
    heartbeatMs: env.heartbeatMs,
    self: { name: settings.name, group: settings.group, version: VERSION, capacity: settings.capacity },
    ...(plugins.peerGate ? { peerGate: plugins.peerGate } : {}),
    onStoreError: (err, dbPath) => {
      logger.error({ err: err.message, db: dbPath }, 'the ledger database refuses writes; stopping')
      onFatal(`cannot write the ledger database ${dbPath} (${err.message}): the data dir is full or not writable; free space or fix it, then start the agent again`, EXIT.dataDirBusy)
    },
  })
  const { peerId, ledger, host, replicator, presence } = core
  // The fleet's override and the group's settings over this agent's own flags (agent-profile.ts).
  const profile = watchAgentProfile({
    self: peerId, ledger, presence,
    own: { group: settings.group, capacity: settings.capacity, maxMbps: settings.maxMbps > 0 ? settings.maxMbps : null, tz: localTimeZone() },
  })
  cleanups.push(() => profile.stop())
  // a large reply (task list) leaves its size in garbage: collected soon, as after a large ledger write
  const control = new ControlServer(logger, (chars) => core.afterLargeWrite(chars))
  const socketPath = controlSocketPath(dir)
  let services: Services | null = null
  let stopping: Promise<void> | null = null
  let resolveStopped!: () => void
  const stopped = new Promise<void>((r) => (resolveStopped = r))
  const stop = () => {
    stopping ??= (async () => {
      logger.info('stopping')
      if (services) await services.stop().catch((err) => logger.error({ err: (err as Error).message }, 'services failed to stop'))
      await core.stopNetwork()
      await control.close(socketPath)
      await core.close()
      lock.release()
      resolveStopped()
    })()
    return stopping
  }

  const hooks = plugins.attach?.({
    peerId, dataDir: dir, control, host, ledger, signer: core.signer, replicator, dialer: core.dialer, flush: core.flush,
    setPresenceField: (key, value) => presence.setField(key, value),
  }) ?? undefined
  registerCoreControl(control, {
    peerId, signer: core.signer, name: settings.name, group: settings.group, version: VERSION, addresses: core.addresses,
    connectedPeers: () => host.getConnections().map((c) => c.remotePeer.toString()),
    ledger, presence, digest: () => replicator.currentDigest(), replicationStats: () => replicator.stats,
    catchingUp: (id) => core.catchUp.of(id),
    nextHlc: core.clock.next, flush: core.flush, stop, groups: profile.groups,
  })
  registerFleetConfigControl(control, {
    peerId, signer: core.signer, ledger, presence, nextHlc: core.clock.next, flush: core.flush,
    isOnline: (id) => presence.isOnline(id), groups: profile.groups,
  })

  core.start()
  keepOwnEntry(ledger, core.signer, peerId, {
    name: settings.name, host: os.hostname(), group: settings.group, version: VERSION,
    access: { sourceRoots: [...access.sourceRoots], mapSources: settings.maps.map((m) => m.source), destRoots: [...access.destRoots] },
  })
  await core.flush()
  writeConfig(dir, { ...saved, ...settingsToSave(settings), listen: boundListen(core.listen, core.addresses()) })

  if (!plugins.coreOnly) {
    // Loaded only when used, so the core runs (and is tested) on its own.
    const { startServices } = await import('./services.ts')
    const started = await startServices({
      self: peerId,
      agent: { name: settings.name, group: settings.group, capacity: settings.capacity, leaseTtlMs: settings.leaseTtlSeconds * 1000, maps: settings.maps, access, dataDir: dir, version: VERSION, minFreeMb: settings.minFreeMb },
      ledger, signer: core.signer, presence, host, db: core.db, catchingUp: (id: string) => core.catchUp.of(id), profile,
      nextHlc: core.clock.next, probe: core.probe, env, logger,
      ...(hooks ? { hooks } : {}),
    })
    services = started
    cleanups.push(() => started.stop())
    registerTaskControl(control, started.tasks, {
      recentFailures: (view) => fleetRecentFailures({ self: peerId, items: started.items, askPeer: (...a) => started.itemsSync.failures(...a) }, view),
    })
    registerUserMapControl(control, started.usermap)
    control.handle('fleet.snapshot', () => started.feed.snapshot())
    control.handleStream('fleet.watch', ({ intervalMs }, emit, signal) => started.feed.watch(emit, signal, intervalMs))
    registerReportControl(control, { self: peerId, selfName: settings.name, ledger, presence, tasks: started.tasks, items: started.items, itemsSync: started.itemsSync })
    started.start()
  }

  // Listening last: every method is registered by the time a client can ask.
  ensurePrivateSocketDir(socketPath, dir)
  await control.listen(socketPath)
  cleanups.push(() => control.close(socketPath))
  if (socketPath !== `${dir}/control.sock`) writeFileAtomic(files(dir).controlPathRecord, `${socketPath}\n`, 0o600)
  else fs.rmSync(files(dir).controlPathRecord, { force: true })

  logger.info({ peerId, name: settings.name, group: settings.group, tasks: ledger.taskCount() }, 'agent started')
  for (const line of accessNotices(access)) notice(line)
  return {
    peerId, name: settings.name, tui: options.tui ?? false, addresses: core.addresses, stop, stopped,
  }
}

function settingsToSave(s: ReturnType<typeof mergeSettings>) {
  return { name: s.name, group: s.group, capacity: s.capacity, maxMbps: s.maxMbps, leaseTtlSeconds: s.leaseTtlSeconds, maps: s.maps, sourceRoots: s.sourceRoots, destRoots: s.destRoots, minFreeMb: s.minFreeMb }
}

/**
 * What this agent's owner lets it touch (protocol/access.ts): the roots as given, symbolic links
 * resolved, `--map` targets among the source roots, and the data dir (resolved too) off limits.
 */
function accessPolicy(dir: string, settings: AgentSettings): AccessPolicy {
  const real = (p: string) => fs.realpathSync.native(p)
  const sourceRoots = [...new Set([...settings.sourceRoots.map((r) => normalizeRoot('--source-root', r, real)), ...settings.maps.map((m) => normalizeRoot('--map', m.local, real))])]
  const destRoots = [...new Set(settings.destRoots.map((r) => normalizeRoot('--dest-root', r, real)))]
  settings.sourceRoots = settings.sourceRoots.map((r) => normalizeRoot('--source-root', r, (p) => p))
  settings.destRoots = settings.destRoots.map((r) => normalizeRoot('--dest-root', r, (p) => p))
  return { sourceRoots, destRoots, dataDir: normalizeRoot('--data', path.resolve(dir), real) }
}

/** Said once the agent runs (not before: a start that fails says only why it failed). */
function accessNotices(access: AccessPolicy): string[] {
  const out: string[] = []
  if (access.sourceRoots.length === 0) out.push('mmesh: this agent has no --source-root or --map: it runs no task whose source is a local path or share (give --source-root DIR)')
  if (access.destRoots.length === 0) out.push('mmesh: this agent has no --dest-root: it runs no task with a file:// destination (SharePoint destinations need none)')
  return out
}
