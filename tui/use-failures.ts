/**
 * The latest failed items of the task the detail shows. The fleet feed leaves them out (a snapshot of
 * 50,000 tasks would carry every task's failures, and only an agent's item store knows them), so the
 * detail asks the agent when it opens a task and again when the task's round, failed count or status
 * changes (the agent asks the agent holding the round's items when it holds none itself).
 * File names come from shares anyone may write to: escaped like every string of a snapshot.
 */
import { useEffect, useMemo, useState } from 'react'
import { terminalSafe } from '../protocol/terminal-text.ts'
import type { TaskView } from '../protocol/views.ts'
import type { FleetActions } from './model.ts'

type Failures = NonNullable<TaskView['recentFailures']>

export function useRecentFailures(actions: FleetActions, task: TaskView | null): TaskView | null {
  const [got, setGot] = useState<{ taskId: string; round: number; failures: Failures } | null>(null)
  const load = actions.recentFailures
  // A snapshot that carries them already (the demo fleet) is shown as it is. The status is part of the key:
  // while a round runs, its holder writes item records in batches, so an early answer can miss failures
  // the live count already shows, and the round then ends with the same count; asked again at the end.
  const key = task && load && !task.recentFailures && task.counts.failed > 0 ? `${task.id}/${task.round}/${task.counts.failed}/${task.status}` : null
  useEffect(() => {
    if (!key || !task || !load) return
    let current = true
    const { id, round } = task
    load(id).then(
      (list) => {
        if (current) setGot({ taskId: id, round, failures: list.map((f) => ({ item: terminalSafe(f.item), message: terminalSafe(f.message) })) })
      },
      // Not shown: the detail keeps saying the details are not loaded, and the next change asks again.
      () => {},
    )
    return () => {
      current = false
    }
    // Keyed on what changes the answer, not on the task object (a new one arrives with every delta).
  }, [key])
  return useMemo(() => {
    if (!task || !got || task.recentFailures || got.taskId !== task.id || got.round !== task.round) return task
    return { ...task, recentFailures: got.failures }
  }, [task, got])
}
