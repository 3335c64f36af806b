/**
 * The scheduler's reading of ledger changes: which tasks are open (their current round has not ended, and
 * they are neither cancelled nor deleted) — the only ones a pass looks at — and the fleet-wide settings.
 * Kept up to date from each change's keys, so a pass never walks every task of a large ledger.
 *
 * A change touching many tasks (a fresh agent's pull of the whole ledger, a peer's import) is read a slice
 * at a time between other work: reading a task the first time checks it (hash, schema), ~20 µs, and
 * 100,000 of them in the change's own turn held the control API for seconds.
 */
import { foldSettings, foldTaskIntent } from '../../protocol/intent.ts'
import { tasksTouched, type Ledger } from '../../protocol/ledger.ts'
import type { Settings } from '../../protocol/settings.ts'
import { roundOutcome } from '../../protocol/status.ts'
import type { Steps } from '../../protocol/steps.ts'
import { runSteps } from '../tasks/run-steps.ts'

/** Up to this many tasks touched by one change are read at once. */
const READ_AT_ONCE = 500

export interface OpenTasks {
  /** Tasks whose current round has not ended. */
  readonly open: ReadonlySet<string>
  /** The fleet-wide settings as the ledger's commands set them now. */
  settings(): Settings
  /** Re-reads one task: open, or closed (then `onClosed` is told). */
  refresh(taskId: string): void
  /**
   * Refreshes what a ledger change touched and answers those tasks; a large change is read in slices
   * (`onRead` after each) and answers null.
   */
  onChange(change: { map: string; keys: string[] }): ReadonlySet<string> | null
  /** Reads every task of the ledger, in slices (the scheduler's start). */
  readAll(): void
  stop(): void
}

/**
 * `onClosed`: a task's round ended (or it was cancelled or deleted): forget what was kept about it.
 * `onRead`: a slice of a large change has been read (a pass may find new work).
 */
export function createOpenTasks(
  ledger: Pick<Ledger, 'task' | 'taskIds' | 'commandsFor' | 'outcomesFor' | 'commands' | 'command'>,
  onClosed: (taskId: string) => void,
  onRead: () => void = () => {},
): OpenTasks {
  const open = new Set<string>()
  let globals: Settings = foldSettings(ledger.commands())
  /** touched, not read yet; insertion order is reading order */
  const unread = new Set<string>()
  let reading = false
  let stopped = false

  function refresh(taskId: string): void {
    unread.delete(taskId)
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

  /** Reads what was queued, one task a step (a Set visits what is added while it is walked). */
  function* readUnread(): Steps<void> {
    for (const id of unread) {
      if (stopped) return
      refresh(id)
      yield
    }
  }

  /** Queues tasks to read later. Until read they are not open: a pass must not act on what they were. */
  function later(ids: Iterable<string>): void {
    for (const id of ids) {
      unread.add(id)
      open.delete(id)
    }
    if (reading) return
    reading = true
    void runSteps(readUnread(), onRead).finally(() => {
      reading = false
      if (!stopped) onRead()
    })
  }

  function onChange(change: { map: string; keys: string[] }): ReadonlySet<string> | null {
    if (change.map === 'commands') globals = foldSettings(ledger.commands())
    const ids = tasksTouched(change, (key) => ledger.command(key))
    if (ids.size > READ_AT_ONCE) {
      later(ids)
      return null
    }
    for (const id of ids) refresh(id)
    return ids
  }

  return {
    open,
    settings: () => globals,
    refresh,
    onChange,
    readAll: () => later(ledger.taskIds()),
    stop() {
      stopped = true
      unread.clear()
    },
  }
}
