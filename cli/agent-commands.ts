/**
 * Agent commands: keygen, start, stop, agents, agent enable|disable (CONTRACT.md "Running an agent").
 */
import type { Command } from 'commander'
import { multiaddr } from '@multiformats/multiaddr'
import { CliError, EXIT } from '../api/errors.ts'
import { ensureDataDir } from '../agent/config/data-dir.ts'
import { resolveDataDir } from '../api/data-dir.ts'
import { lockDataDir } from '../agent/config/lock.ts'
import { writeNewFleetKey } from '../agent/config/fleet-key.ts'
import { parseMap } from '../agent/config/agent-config.ts'
import { callAgent } from '../api/client.ts'
import type { AgentJson } from '../protocol/views.ts'
import { viewAttacher } from './view-hook.ts'

/** A logger and notice sink writing to DIR/agent.log (mode 0600), for when a full-screen view owns the terminal. */
async function fileLogger(dataDir: string) {
  const { default: pino } = await import('pino')
  const path = await import('node:path')
  const fs = await import('node:fs')
  const file = path.join(dataDir, 'agent.log')
  const fd = fs.openSync(file, 'a', 0o600)
  const logger = pino({ level: process.env.MMESH_LOG_LEVEL ?? 'info', base: undefined }, pino.destination({ fd, sync: false }))
  return { logger, notice: (msg: string) => logger.warn(msg) }
}

const collect = (value: string, previous: string[]) => [...previous, value]

function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) throw new CliError(`${name} must be a whole number from ${min} to ${max}, got '${value}'`)
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

function formatTable(rows: AgentJson[]): string {
  const header = ['NAME', 'STATE', 'GROUP', 'CAPACITY', 'RUNNING', 'LAST SEEN', 'ID']
  const body = rows.map((a) => [a.name, a.state, a.group, String(a.capacity), String(a.running), a.lastSeen ?? '-', a.id])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
  return [header, ...body].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n')
}

export function registerAgentCommands(program: Command): void {
  program
    .command('keygen')
    .description('write a new fleet key (every agent of a fleet needs a copy)')
    .requiredOption('--out <file>', 'where to write the key (mode 0600)')
    .action((opts: { out: string }) => {
      writeNewFleetKey(opts.out)
      process.stderr.write(`mmesh: wrote fleet key ${opts.out}; give every agent a copy (--fleet-key ${opts.out})\n`)
    })

  program
    .command('start')
    .description('run an agent in the foreground')
    .option('--data <dir>', 'data dir (default $MMESH_DATA, else ~/.mmesh)')
    .option('--fleet-key <file>', 'fleet key file (default DIR/fleet.key, created on first start)')
    .option('--name <name>', 'agent name (default: host name)')
    .option('--listen <multiaddr>', 'listen address, repeatable (default /ip4/0.0.0.0/tcp/0, port kept across restarts)', collect, [])
    .option('--peer <multiaddr>', 'agent to dial, repeatable', collect, [])
    .option('--no-mdns', 'no LAN discovery')
    .option('--capacity <n>', 'tasks run at once (default 5)')
    .option('--group <name>', 'agent group (default Default)')
    .option('--map <SOURCE_PREFIX=LOCAL_PATH>', 'where this agent reads a share, repeatable', collect, [])
    .option('--lease-ttl <seconds>', 'lease TTL in seconds (default 30)')
    .option('--tui', 'show the fleet view')
    .action(async (opts: {
      data?: string; fleetKey?: string; name?: string; listen: string[]; peer: string[]; mdns: boolean
      capacity?: string; group?: string; map: string[]; leaseTtl?: string; tui?: boolean
    }) => {
      const capacity = intFlag('--capacity', opts.capacity, 0, 1000)
      const leaseTtlSeconds = intFlag('--lease-ttl', opts.leaseTtl, 1, 86_400)
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
        // With the fleet view on screen, logs and notices go to DIR/agent.log so they never garble it.
        const viewLog = opts.tui ? await fileLogger(dataDir) : null
        agent = await startAgent({
          ...(viewLog ? { logger: viewLog.logger, notice: viewLog.notice } : {}),
          lock,
          dataDir, fleetKeyFile: opts.fleetKey, name: opts.name, group: opts.group, capacity, leaseTtlSeconds, maps,
          listen, peers, mdns: opts.mdns, tui: opts.tui ?? false,
        })
      } catch (err) {
        lock.release()
        // Exit now: a half-started host may hold the event loop open.
        const code = err instanceof CliError ? err.exitCode : EXIT.badInput
        process.stderr.write(`mmesh: ${err instanceof Error ? err.message : String(err)}\n`)
        process.exit(code)
      }
      const lines = [`peer ${agent.peerId}`, ...agent.addresses().map((a) => `listening ${a.endsWith(`/p2p/${agent.peerId}`) ? a : `${a}/p2p/${agent.peerId}`}`)]
      process.stdout.write(`${lines.join('\n')}\n`)
      if (!agent.tui) process.stderr.write(`mmesh: agent ${agent.name} running on ${dataDir} (stop with Ctrl-C or mmesh stop --data ${dataDir})\n`)
      const onSignal = () => void agent.stop()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      const attach = opts.tui ? viewAttacher() : null
      if (attach) {
        // Quitting the view stops the agent it started (it was started for this terminal).
        await attach(dataDir, { onQuit: () => void agent.stop() }).catch((err: unknown) => {
          process.stderr.write(`mmesh: the fleet view failed: ${err instanceof Error ? err.message : String(err)}\n`)
        })
        await agent.stop()
      }
      await agent.stopped
      process.exit(EXIT.ok)
    })

  program
    .command('stop')
    .description('ask the agent on DIR to stop gracefully')
    .option('--data <dir>', 'data dir')
    .action(async (opts: { data?: string }) => {
      const dataDir = resolveDataDir(opts.data)
      await callAgent(dataDir, 'agent.stop', {}, { timeoutMs: 10_000 })
      // Wait until it is gone, so a script can start another agent on DIR right after.
      const deadline = Date.now() + 60_000
      while (Date.now() < deadline) {
        try {
          await callAgent(dataDir, 'status', {}, { timeoutMs: 2000 })
        } catch (err) {
          if (err instanceof CliError && err.exitCode === EXIT.noAgent) {
            process.stderr.write(`mmesh: the agent on ${dataDir} stopped\n`)
            return
          }
        }
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new CliError(`the agent on ${dataDir} was asked to stop but is still running after 60 s`)
    })

  program
    .command('agents')
    .description('list the fleet')
    .option('--data <dir>', 'data dir')
    .option('--json', 'JSON array')
    .action(async (opts: { data?: string; json?: boolean }) => {
      const rows = await callAgent<AgentJson[]>(resolveDataDir(opts.data), 'agents.list')
      process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatTable(rows)}\n`)
    })

  const agentCmd = program.command('agent').description('enable or disable an agent')
  for (const verb of ['enable', 'disable'] as const) {
    agentCmd
      .command(verb)
      .description(`${verb} an agent (default: the one on DIR)`)
      .argument('[agent]', 'peer id or name')
      .option('--data <dir>', 'data dir')
      .action(async (ref: string | undefined, opts: { data?: string }) => {
        const row = await callAgent<AgentJson>(resolveDataDir(opts.data), 'agent.setEnabled', { agent: ref ?? '', enabled: verb === 'enable' })
        process.stdout.write(`${row.name} ${row.id} ${row.state}\n`)
      })
  }
}
