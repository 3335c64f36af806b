/**
 * Agent groups: `group set` (a group's off-peak work window, its time zone and bandwidth limit, for the
 * whole fleet, from any node) and `group list`.
 */
import type { Command } from 'commander'
import { resolveDataDir } from '../api/data-dir.ts'
import { callAgent } from '../api/client.ts'
import type { GroupSettings } from '../protocol/fleet-config.ts'
import { terminalSafe } from '../protocol/terminal-text.ts'
import { out } from './output.ts'

function describe(g: GroupSettings): string {
  const window = g.window ? `${g.window} (${g.tz ?? "each agent's own time zone"})` : 'any time'
  return terminalSafe(`${g.name}: works ${window}; max ${g.maxMbps ? `${g.maxMbps} Mbit/s per agent` : 'no limit'}`)
}

export function registerGroupCommands(program: Command): void {
  const group = program.command('group').description("agent groups: work windows and bandwidth")
  group
    .command('set')
    .description("set a group's work window, its time zone or its bandwidth limit (an empty value clears one)")
    .argument('<name>', 'the group (as agents start with --group)')
    .option('--data <dir>', 'data dir')
    .option('--window <spec>', "when its agents may work, e.g. 'Mon-Fri 19:00-07:00,Sat-Sun' ('' = any time)")
    .option('--tz <zone>', "the window's IANA time zone, e.g. Europe/Berlin ('' = each agent's own)")
    .option('--max-mbps <m>', "each agent's bandwidth limit in Mbit/s ('' or 0 = none)")
    .action(async (name: string, opts: { data?: string; window?: string; tz?: string; maxMbps?: string }) => {
      const g = await callAgent(resolveDataDir(opts.data), 'group.set', {
        name,
        ...(opts.window !== undefined ? { window: opts.window } : {}),
        ...(opts.tz !== undefined ? { tz: opts.tz } : {}),
        ...(opts.maxMbps !== undefined ? { maxMbps: opts.maxMbps } : {}),
      })
      out(describe(g))
    })
  group
    .command('list')
    .description('groups with a window or a limit set')
    .option('--data <dir>', 'data dir')
    .option('--json', 'JSON array')
    .action(async (opts: { data?: string; json?: boolean }) => {
      const rows = await callAgent(resolveDataDir(opts.data), 'group.list')
      out(opts.json ? JSON.stringify(rows, null, 2) : rows.map(describe).join('\n'))
    })
}
