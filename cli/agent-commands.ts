/**
 * Agent commands: keygen, start, stop, agents, agent enable|disable|set|forget (CONTRACT.md "Running an agent").
 */
import type { Command } from 'commander'
import { CliError, EXIT } from '../api/errors.ts'
import { resolveDataDir } from '../api/data-dir.ts'
import { callAgent } from '../api/client.ts'
import type { AgentJson } from '../protocol/views.ts'
import { terminalSafe } from '../protocol/terminal-text.ts'
import { note, out } from './output.ts'
import type { AgentPlugins } from '../agent/plugins.ts'
import type { StartOptions } from './start.ts'

const collect = (value: string, previous: string[]) => [...previous, value]

/** The flags of `mmesh start`, shared with `mmesh service install` (which writes them into the unit). */
export function addStartOptions(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'data dir (default $MMESH_DATA, else ~/.mmesh)')
    .option('--fleet-key <file>', 'fleet key file (default DIR/fleet.key, created on first start)')
    .option('--name <name>', 'agent name (default: host name)')
    .option('--listen <multiaddr>', 'listen address, repeatable (default /ip4/0.0.0.0/tcp/0, port kept across restarts)', collect, [])
    .option('--peer <multiaddr>', 'agent to dial, repeatable', collect, [])
    .option('--no-mdns', 'no LAN discovery')
    .option('--capacity <n>', 'tasks run at once (default 5)')
    .option('--group <name>', 'agent group (default Default)')
    .option('--max-mbps <m>', "this agent's bandwidth limit in Mbit/s, uploads and file:// copies alike (default none)")
    .option('--map <SOURCE_PREFIX=LOCAL_PATH>', 'where this agent reads a share, repeatable (LOCAL_PATH counts as a source root)', collect, [])
    .option('--source-root <dir>', 'a folder this agent may read task sources under, repeatable; none: it runs no local-path task', collect, [])
    .option('--dest-root <dir>', 'a folder this agent may write file:// destinations under, repeatable; none: it runs no file:// task', collect, [])
    .option('--lease-ttl <seconds>', 'lease TTL in seconds (default 30)')
    .option('--min-free-mb <n>', "claim no new tasks while the data dir's file system has less free space, in MiB (default 256; 0: off)")
}

/** Every cell as an agent's own ledger entry says it (any fleet member writes its own): made terminal-safe before the widths are taken. */
function formatTable(rows: AgentJson[]): string {
  const header = ['NAME', 'STATE', 'GROUP', 'CAPACITY', 'RUNNING', 'LAST SEEN', 'MAX MBPS', 'WORKS', 'LEDGER', 'ID']
  const body = rows.map((a) => [a.name, a.state, a.group, String(a.capacity), String(a.running), a.lastSeen ?? '-', a.maxMbps ? String(a.maxMbps) : '-', mayWork(a), ledgerCell(a), a.id].map(terminalSafe))
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
  const table = [header, ...body].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
  // Why an online agent claims nothing new (its heartbeat says: low disk), one line each under the table.
  const notes = rows.filter((a) => a.waitingReason).map((a) => terminalSafe(`${a.name} ${a.waitingReason}`))
  return [...table, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n')
}

/**
 * How far the agent's ledger is behind, so a slow join reads as such and not as missing tasks. An agent
 * too old to report it (no field) shows '-'.
 */
export function ledgerCell(a: Pick<AgentJson, 'catchingUp'>): string {
  if (a.catchingUp === undefined) return '-'
  return a.catchingUp ? `catching up ${a.catchingUp.records.toLocaleString('en-US')} records` : 'current'
}

/** When the agent may start work: `now`, or (outside its group's window) the time the window opens. */
export function mayWork(a: Pick<AgentJson, 'window' | 'nextWork'>): string {
  if (!a.window || a.window.open) return 'now'
  return a.nextWork ? `from ${a.nextWork}` : 'never (window)'
}

/** `agentPlugins` go to the agent `start` runs (tests only; see cli/program.ts ProgramExtras). */
export function registerAgentCommands(program: Command, agentPlugins?: AgentPlugins): void {
  program
    .command('keygen')
    .description('write a new fleet key (every agent of a fleet needs a copy)')
    .requiredOption('--out <file>', 'where to write the key (mode 0600)')
    .action(async (opts: { out: string }) => {
      const { writeNewFleetKey } = await import('../agent/config/fleet-key.ts')
      writeNewFleetKey(opts.out)
      process.stderr.write(`mmesh: wrote fleet key ${opts.out}; give every agent a copy (--fleet-key ${opts.out})\n`)
    })

  addStartOptions(program.command('start').description('run an agent in the foreground'))
    .option('--tui', 'show the fleet view')
    .action(async (opts: StartOptions) => {
      const { runStart } = await import('./start.ts')
      await runStart(opts, agentPlugins)
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
      const rows = await callAgent(resolveDataDir(opts.data), 'agents.list')
      out(opts.json ? JSON.stringify(rows, null, 2) : formatTable(rows))
      // An agent's own user-mapping file wins over the fleet's map for the logins it names: said, so it is not a surprise.
      if (!opts.json) for (const a of rows) if (a.userMapOverride !== undefined) out(terminalSafe(`${a.name}: its own user-mapping.csv (${a.userMapOverride} row${a.userMapOverride === 1 ? '' : 's'}) overrides the fleet's user map for the logins it names`))
    })

  const agentCmd = program.command('agent').description('enable, disable, override or forget an agent')
  for (const verb of ['enable', 'disable'] as const) {
    agentCmd
      .command(verb)
      .description(`${verb} an agent (default: the one on DIR)`)
      .argument('[agent]', 'peer id or name')
      .option('--data <dir>', 'data dir')
      .action(async (ref: string | undefined, opts: { data?: string }) => {
        const row = await callAgent(resolveDataDir(opts.data), 'agent.setEnabled', { agent: ref ?? '', enabled: verb === 'enable' })
        out(terminalSafe(`${row.name} ${row.id} ${row.state}`))
      })
  }

  agentCmd
    .command('set')
    .description("override an agent's own flags fleet-wide, from any node (an empty value clears one override)")
    .argument('<agent>', 'peer id or name')
    .option('--data <dir>', 'data dir')
    .option('--group <name>', "the agent's group ('' clears)")
    .option('--capacity <n>', "tasks it runs at once ('' clears)")
    .option('--max-mbps <m>', "its bandwidth limit in Mbit/s, 0 for none ('' clears)")
    .option('--clear', 'drop every override: the agent runs with its own flags again')
    .action(async (ref: string, opts: { data?: string; group?: string; capacity?: string; maxMbps?: string; clear?: boolean }) => {
      const row = await callAgent(resolveDataDir(opts.data), 'agent.set', {
        agent: ref,
        ...(opts.group !== undefined ? { group: opts.group } : {}),
        ...(opts.capacity !== undefined ? { capacity: opts.capacity } : {}),
        ...(opts.maxMbps !== undefined ? { maxMbps: opts.maxMbps } : {}),
        ...(opts.clear ? { clear: true } : {}),
      })
      const o = row.override ?? {}
      const shown = Object.entries(o).map(([k, v]) => `${k}=${v}`).join(' ')
      out(terminalSafe(`${row.name} ${row.id} group=${row.group} capacity=${row.capacity} maxMbps=${row.maxMbps ?? '-'}${shown ? ` (override: ${shown})` : ' (own flags)'}`))
    })

  agentCmd
    .command('forget')
    .description('remove an agent that is gone for good from the fleet view (refused while it is online)')
    .argument('<agent>', 'peer id or name')
    .option('--data <dir>', 'data dir')
    .action(async (ref: string, opts: { data?: string }) => {
      const r = await callAgent(resolveDataDir(opts.data), 'agent.forget', { agent: ref })
      note(`forgot agent ${r.name} (${r.id}); it shows again if it comes back online`)
    })
}
