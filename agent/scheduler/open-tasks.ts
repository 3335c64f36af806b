/**
 * The scheduler's reading of ledger changes: which tasks are open (their current round has not ended, and
 * they are neither cancelled nor deleted) — the only ones a pass looks at — and the fleet-wide settings.
 * Kept up to date from each change's keys, so a pass never walks every task of a large ledger.
 */
import { foldSettings, foldTaskIntent } from '../../protocol/intent.ts'
import { tasksTouched, type Ledger } from '../../protocol/ledger.ts'
import type { Settings } from '../../protocol/settings.ts'
import { roundOutcome } from '../../protocol/status.ts'

export interface OpenTasks {
  /** Tasks whose current round has not ended. */
  readonly open: ReadonlySet<string>
  /** The fleet-wide settings as the ledger's commands set them now. */
  settings(): Settings
  /** Re-reads one task: open, or closed (then `onClosed` is told). */
  refresh(taskId: string): void
  /** Refreshes what a ledger change touched. */
  onChange(change: { map: string; keys: string[] }): void
}

/** `onClosed`: a task's round ended (or it was cancelled or deleted): forget what was kept about it. */
export function createOpenTasks(
  ledger: Pick<Ledger, 'task' | 'commandsFor' | 'outcomesFor' | 'commands' | 'command'>,
  onClosed: (taskId: string) => void,
): OpenTasks {
  const open = new Set<string>()
  let globals: Settings = foldSettings(ledger.commands())

  function refresh(taskId: string): void {
    const spec = ledger.task(taskId)
    if (!spec) return void open.delete(taskId)
    const intent = foldTaskIntent(ledger.commandsFor(taskId))
    const outcome = roundOutcome(ledger.outcomesFor(taskId), intent.round)
    const ended = outcome?.phase === 'completed' || outcome?.phase === 'failed'
    if (ended || intent.cancelled || intent.deleted) {
      open.delete(taskId)
      onClosed(taskId)
    } else open.add(taskId)
  }

  function onChange(change: { map: string; keys: string[] }): void {
    if (change.map === 'commands') globals = foldSettings(ledger.commands())
    for (const id of tasksTouched(change, (key) => ledger.command(key))) refresh(id)
  }

  return { open, settings: () => globals, refresh, onChange }
}
