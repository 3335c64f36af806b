import { describe, expect, it } from 'vitest'
import type { TaskJson, TaskStatus } from '../protocol/views.ts'
import { waitForTasks } from './task-wait.ts'

const t = (id: string, status: TaskStatus) => ({ id, status }) as TaskJson

/** Statuses the tasks go through, one step per poll; a fake clock that sleeps advance. */
function script(steps: TaskStatus[][]) {
  let at = 0
  let polls = 0
  return {
    deps: {
      fetch: async (ids: readonly string[]) => {
        const row = steps[Math.min(polls++, steps.length - 1)]!
        return ids.map((id, i) => t(id, row[i]!))
      },
      sleep: async (ms: number) => void (at += ms),
      now: () => at,
    },
    polls: () => polls,
  }
}

describe('task wait', () => {
  it('exit 0 once every task completed', async () => {
    const s = script([['queued', 'in-progress'], ['completed', 'in-progress'], ['completed', 'completed']])
    const r = await waitForTasks(['a', 'b'], s.deps, null)
    expect(r).toMatchObject({ exitCode: 0, timedOut: false })
    expect(s.polls()).toBe(3)
  })

  it('exit 1 when any failed or was cancelled, but only once all have finished', async () => {
    const s = script([['failed', 'in-progress'], ['failed', 'completed']])
    expect((await waitForTasks(['a', 'b'], s.deps, null)).exitCode).toBe(1)
    expect(s.polls()).toBe(2)
    expect((await waitForTasks(['a'], script([['cancelled']]).deps, null)).exitCode).toBe(1)
  })

  it('exit 124 when the timeout passes first, never sleeping past it', async () => {
    const s = script([['in-progress']])
    const r = await waitForTasks(['a'], s.deps, 1200)
    expect(r).toMatchObject({ exitCode: 124, timedOut: true })
    expect(s.deps.now()).toBe(1200)
  })
})
