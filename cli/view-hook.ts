/**
 * `mmesh start --tui` shows the fleet view of the agent it starts. The view lives in tui/ (above node/),
 * so the entry point installs it here and the start command calls it once the agent is ready.
 */
export type ViewAttacher = (dataDir: string, opts: { onQuit: () => void }) => Promise<void>

let attacher: ViewAttacher | null = null

export function setViewAttacher(fn: ViewAttacher): void {
  attacher = fn
}

export function viewAttacher(): ViewAttacher | null {
  return attacher
}
