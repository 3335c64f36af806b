/** Shows the fleet view (tui/, ink and React) of a running agent: loaded by `tui`, `demo` and `start --tui` only. */
import { CliError, EXIT } from '../api/errors.ts'
import { connectFleet } from '../tui/remote.ts'
import { renderFleetApp } from '../tui/render.tsx'

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
