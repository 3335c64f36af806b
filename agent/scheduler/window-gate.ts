/**
 * Outside its group's work window an agent says so (in its heartbeat's `blocked` list and its own) for
 * each open task of its group it does not run, so the others rank claims without it and `task show`
 * tells the admin when work resumes. Inside the window: nothing.
 */
import type { WindowState } from '../../protocol/work-window.ts'

export function windowBlocked(
  win: WindowState, group: string, open: Iterable<string>, groupOf: (taskId: string) => string | undefined, running: (taskId: string) => boolean, limit: number,
): [string, string][] {
  if (win.open) return []
  const reason = `outside group ${group}'s work window${win.next ? ` (opens ${win.next})` : ''}`
  const out: [string, string][] = []
  for (const taskId of open) {
    if (out.length >= limit) break
    if (groupOf(taskId) === group && !running(taskId)) out.push([taskId, reason])
  }
  return out
}
