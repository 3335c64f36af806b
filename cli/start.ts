/**
 * `mmesh start`: checks the flags, locks the data dir, then loads and starts the agent (libp2p, level,
 * the engine: loaded here only, so the other commands start without them) and, with --tui, the fleet view.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { CliError, EXIT } from '../api/errors.ts'
import { resolveDataDir } from '../api/data-dir.ts'
import { note } from './output.ts'
import { ensureDataDir } from '../agent/config/data-dir.ts'
import { lockDataDir } from '../agent/config/lock.ts'
import { MAX_MIN_FREE_MB, parseMap } from '../agent/config/agent-config.ts'
import type { AgentPlugins } from '../agent/plugins.ts'

export interface StartOptions {
  data?: string; fleetKey?: string; name?: string; listen: string[]; peer: string[]; mdns: boolean
  capacity?: string; group?: string; maxMbps?: string; map: string[]; sourceRoot: string[]; destRoot: string[]; leaseTtl?: string; tui?: boolean
  minFreeMb?: string
}

/** A logger and notice sink writing to DIR/logs/agent.log (mode 0600, rotated), for when a full-screen view owns the terminal. */
async function fileLogger(dataDir: string) {
  const { default: pino } = await import('pino')
  const { files } = await import('../api/data-dir.ts')
  const { RotatingLog } = await import('../agent/logs/rotating-log.ts')
  const { readLogLevel } = await import('../agent/config/env.ts')
  const logger = pino({ level: readLogLevel(), base: undefined }, new RotatingLog(files(dataDir).logs))
  return { logger, notice: (msg: string) => logger.warn(msg) }
}

function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) throw new CliError(`${name} must be a whole number from ${min} to ${max}, got '${value}'`)
  return n
}

/** `--max-mbps`: Mbit/s, 0 for none (also drops a limit saved by an earlier start). */
function mbpsFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n) || n > 100_000) throw new CliError(`--max-mbps must be a number of Mbit/s from 0 (no limit) to 100000, got '${value}'`)
  return n
}

function multiaddrFlag(name: string, values: string[]): string[] {
  return values.map((v) => {
    try {
      multiaddr(v)
    } catch {
      throw new CliError(`${name} '${v}' is not a multiaddr (e.g. /ip4/10.0.0.5/tcp/4001/p2p/12D3Koo…)`)
    }
    if (!/\/tcp\/\d+/.test(v)) throw new CliError(`${name} '${v}' has no /tcp/PORT: mmesh agents speak TCP`)
    return v
  })
}

/** Runs the agent in the foreground until it stops; exits the process. */
export async function runStart(opts: StartOptions, agentPlugins?: AgentPlugins): Promise<void> {
  const capacity = intFlag('--capacity', opts.capacity, 0, 1000)
  const leaseTtlSeconds = intFlag('--lease-ttl', opts.leaseTtl, 1, 86_400)
  const minFreeMb = intFlag('--min-free-mb', opts.minFreeMb, 0, MAX_MIN_FREE_MB)
  const maxMbps = mbpsFlag(opts.maxMbps)
  const listen = multiaddrFlag('--listen', opts.listen)
  const peers = multiaddrFlag('--peer', opts.peer)
  const maps = opts.map.map(parseMap)
  if (opts.name !== undefined && (opts.name.trim() === '' || opts.name.length > 255)) throw new CliError('--name must be 1 to 255 characters')
  if (opts.group !== undefined && (opts.group.trim() === '' || opts.group.length > 255)) throw new CliError('--group must be 1 to 255 characters')
  const dataDir = resolveDataDir(opts.data)
  // Lock first, before loading libp2p and the rest: a second start on DIR fails at once.
  ensureDataDir(dataDir)
  const lock = lockDataDir(dataDir)
  let agent
  try {
    const { startAgent } = await import('../agent/agent.ts')
    // With the fleet view on screen, logs and notices go to DIR/logs/agent.log only, so they never garble it.
    const viewLog = opts.tui ? await fileLogger(dataDir) : null
    agent = await startAgent({
      ...(viewLog ? { logger: viewLog.logger, notice: viewLog.notice } : {}),
      lock,
      dataDir, fleetKeyFile: opts.fleetKey, name: opts.name, group: opts.group, capacity, maxMbps, leaseTtlSeconds, maps,
      sourceRoots: opts.sourceRoot, destRoots: opts.destRoot, minFreeMb,
      listen, peers, mdns: opts.mdns, tui: opts.tui ?? false,
    }, agentPlugins)
  } catch (err) {
    lock.release()
    // Exit now: a half-started host may hold the event loop open.
    const code = err instanceof CliError ? err.exitCode : EXIT.badInput
    note(err instanceof Error ? err.message : String(err))
    process.exit(code)
  }
  const lines = [`peer ${agent.peerId}`, ...agent.addresses().map((a) => `listening ${a.endsWith(`/p2p/${agent.peerId}`) ? a : `${a}/p2p/${agent.peerId}`}`)]
  process.stdout.write(`${lines.join('\n')}\n`)
  if (!agent.tui) process.stderr.write(`mmesh: agent ${agent.name} running on ${dataDir} (stop with Ctrl-C or mmesh stop --data ${dataDir})\n`)
  const onSignal = () => void agent.stop()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  if (opts.tui) {
    // Quitting the view stops the agent it started (it was started for this terminal).
    const { attachFleetView } = await import('./fleet-view.ts')
    await attachFleetView(dataDir, { onQuit: () => void agent.stop() }).catch((err: unknown) => {
      process.stderr.write(`mmesh: the fleet view failed: ${err instanceof Error ? err.message : String(err)}\n`)
    })
    await agent.stop()
  }
  await agent.stopped
  process.exit(EXIT.ok)
}
