/** `mmesh tui` (the fleet view of the agent on --data DIR) and `mmesh demo` (a local three-agent tour). */
import type { Command } from 'commander'
import { resolveDataDir } from '../api/data-dir.ts'
import { CliError } from '../api/errors.ts'

export function registerViewCommands(program: Command): void {
  program
    .command('tui')
    .description('the fleet view: every agent and task, live; add, import, pause, rerun and export')
    .option('--data <dir>', 'data dir of the agent to attach to')
    .action(async (opts: { data?: string }) => {
      const { attachFleetView } = await import('./fleet-view.ts')
      await attachFleetView(resolveDataDir(opts.data))
    })

  program
    .command('demo')
    .description('start 3 local agents migrating a generated sample share, with the fleet view open')
    .option('--files <n>', 'files in the sample share', '600')
    .action(async (opts: { files: string }) => {
      const files = Number(opts.files)
      if (!Number.isInteger(files) || files < 1 || files > 100_000) throw new CliError('--files must be a whole number from 1 to 100000')
      const { runDemo } = await import('./demo.ts')
      await runDemo({ files })
    })
}
