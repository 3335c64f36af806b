/**
 * Running an agent for weeks: `mmesh service install|uninstall` (a systemd unit for `mmesh start`) and
 * `mmesh logs [--follow]` (the agent's rotated log in DIR/logs).
 */
import type { Command } from 'commander'
import { CliError } from '../api/errors.ts'
import { resolveDataDir } from '../api/data-dir.ts'
import { terminalSafe } from '../protocol/terminal-text.ts'
import { addStartOptions } from './agent-commands.ts'
import { out, warn } from './output.ts'
import type { StartOptions } from './start.ts'

interface ServiceOptions extends StartOptions {
  user?: boolean
  dryRun?: boolean
  unitDir?: string
}

export function registerOpsCommands(program: Command): void {
  program
    .command('logs')
    .description("print the agent's log (DIR/logs, oldest first); --follow keeps printing new lines")
    .option('--data <dir>', 'data dir of the agent')
    .option('--follow', 'keep printing new lines until interrupted')
    .action(async (opts: { data?: string; follow?: boolean }) => {
      const { showLogs } = await import('./logs-command.ts')
      const stop = new AbortController()
      process.once('SIGINT', () => stop.abort())
      await showLogs(resolveDataDir(opts.data), opts.follow === true, stop.signal, (s) => process.stdout.write(s))
    })

  const service = program.command('service').description('run the agent as a systemd service')
  addStartOptions(service.command('install').description('write a systemd unit that runs mmesh start with these flags, and enable it'))
    .option('--user', 'a user unit (systemctl --user), for an agent of your own')
    .option('--dry-run', 'print the unit instead of writing it')
    .option('--unit-dir <dir>', 'where to write the unit (default /etc/systemd/system, or ~/.config/systemd/user with --user)')
    .action(async (opts: ServiceOptions) => {
      const s = await import('./service.ts')
      const plan = s.planService(opts)
      if (opts.dryRun) {
        out(`# ${terminalSafe(plan.file)}`)
        out(plan.unit.trimEnd())
        return
      }
      s.writeUnit(plan)
      out(`wrote ${terminalSafe(plan.file)}`)
      for (const line of s.enable(plan)) warn(line)
    })
  service
    .command('uninstall')
    .description('stop and remove the unit of the agent on DIR')
    .option('--data <dir>', 'data dir of the agent')
    .option('--user', 'the user unit')
    .option('--unit-dir <dir>', 'where the unit is (as given to install)')
    .action(async (opts: { data?: string; user?: boolean; unitDir?: string }) => {
      const s = await import('./service.ts')
      const removed = s.uninstall(resolveDataDir(opts.data), opts.user === true, opts.unitDir)
      if (!removed.file) throw new CliError(`no mmesh unit for ${terminalSafe(resolveDataDir(opts.data))} in ${terminalSafe(removed.dir)}: nothing to remove`)
      out(`removed ${terminalSafe(removed.file)}`)
      for (const line of removed.notes) warn(line)
    })
}
