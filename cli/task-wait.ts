/**
 * `task wait ID…`: returns when every task has finished, so scripts can chain steps. Exit 0 when all
 * completed (a completed task may still have failed items: see its report), 1 when any failed or was
 * cancelled, 124 when the timeout passed first (as timeout(1) says it). The agent is asked every
 * half second; a wait never outlives its timeout.
 */
import type { TaskJson, TaskStatus } from '../protocol/views.ts'
import { EXIT } from '../api/errors.ts'

const FINISHED: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled'])

export interface WaitDeps {
  /** the tasks as the agent sees them now (ids as given; prefixes allowed) */
  fetch(ids: readonly string[]): Promise<TaskJson[]>
  sleep(ms: number): Promise<void>
  now(): number
}

export interface WaitResult {
  exitCode: number
  /** the tasks as last seen, in the order asked */
  tasks: TaskJson[]
  timedOut: boolean
}

export async function waitForTasks(ids: readonly string[], deps: WaitDeps, timeoutMs: number | null, pollMs = 500): Promise<WaitResult> {
  const deadline = timeoutMs === null ? Infinity : deps.now() + timeoutMs
  for (;;) {
    const tasks = await deps.fetch(ids)
    if (tasks.every((t) => FINISHED.has(t.status))) {
      const bad = tasks.some((t) => t.status !== 'completed')
      return { exitCode: bad ? EXIT.badInput : EXIT.ok, tasks, timedOut: false }
    }
    const left = deadline - deps.now()
    if (left <= 0) return { exitCode: EXIT.timedOut, tasks, timedOut: true }
    await deps.sleep(Math.min(pollMs, left))
  }
}
