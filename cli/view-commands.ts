/** `mmesh tui` (the fleet view of the agent on --data DIR) and `mmesh demo` (a local three-agent tour). */
import type { Command } from 'commander'
import { resolveDataDir } from '../api/data-dir.ts'
import { CliError, EXIT } from '../api/errors.ts'
import { connectFleet } from '../tui/remote.ts'
import { renderFleetApp } from '../tui/app.tsx'
import { runDemo } from './demo.ts'

/** Shows the fleet view of the agent on dataDir until the admin quits or the agent goes away. */
export async function attachFleetView(dataDir: string, opts: { onQuit?: () => void } = {}): Promise<void> {
  let remote
  try {
    remote = await connectFleet(dataDir)
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(err instanceof Error ? err.message : String(err), EXIT.noAgent)
  }
  let quit!: () => void
  const done = new Promise<void>((r) => (quit = r))
  const app = renderFleetApp(remote.source, remote.actions, {
    onQuit: () => {
      opts.onQuit?.()
      quit()
    },
  })
  void remote.closed.then(() => quit())
  await done
  app.unmount()
  remote.close()
}

export function registerViewCommands(program: Command): void {
  program
    .command('tui')
    .description('the fleet view: every agent and task, live; add, import, pause, rerun and export')
    .option('--data <dir>', 'data dir of the agent to attach to')
    .action(async (opts: { data?: string }) => {
      await attachFleetView(resolveDataDir(opts.data))
    })

  program
    .command('demo')
    .description('start 3 local agents migrating a generated sample share, with the fleet view open')
    .option('--files <n>', 'files in the sample share', '600')
    .action(async (opts: { files: string }) => {
      const files = Number(opts.files)
      if (!Number.isInteger(files) || files < 1 || files > 100_000) throw new CliError('--files must be a whole number from 1 to 100000')
      await runDemo({ files })
    })
}
