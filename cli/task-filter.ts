/**
 * `task list` filters: --status, --agent, --group, --search, combinable (AND), applied to the contract's
 * task JSON, so `--json` prints the same tasks the table shows. Pure: the agents' names come in.
 */
import type { TaskJson, TaskStatus } from '../protocol/views.ts'

export const TASK_STATUSES: readonly TaskStatus[] = ['scheduled', 'queued', 'scanning', 'in-progress', 'paused', 'completed', 'failed', 'cancelled']

export interface TaskFilter {
  /** any of these statuses */
  status?: readonly string[]
  /** a peer id, or an agent's name (of the current or last holder) */
  agent?: string
  group?: string
  /** case-insensitive, in the id, name, source or destination */
  search?: string
  /** tasks carrying every one of these tags (exact, case-sensitive, as Migration Manager matches them) */
  tag?: readonly string[]
  /** true: the archived tasks only; else archived tasks are left out */
  archived?: boolean
}

/** Checks the filter's words; answers one line naming the bad value and the good ones, or null. */
export function filterProblem(f: TaskFilter): string | null {
  for (const s of f.status ?? []) {
    if (!(TASK_STATUSES as readonly string[]).includes(s)) return `--status ${JSON.stringify(s)}: not a status; use one of ${TASK_STATUSES.join(', ')}`
  }
  return null
}

/** `agentNames`: peer id → name, to match --agent by name. */
export function filterTasks(tasks: readonly TaskJson[], f: TaskFilter, agentNames: ReadonlyMap<string, string> = new Map()): TaskJson[] {
  const statuses = f.status && f.status.length > 0 ? new Set(f.status) : null
  const group = f.group?.toLowerCase()
  const search = f.search?.toLowerCase()
  const agent = f.agent
  const archived = f.archived === true
  return tasks.filter((t) => {
    if (t.archived !== archived) return false
    if (statuses && !statuses.has(t.status)) return false
    if (f.tag && !f.tag.every((x) => t.tags.includes(x))) return false
    if (group !== undefined && t.group.toLowerCase() !== group) return false
    if (agent !== undefined && (t.agent === null || (t.agent !== agent && agentNames.get(t.agent) !== agent))) return false
    if (search !== undefined) {
      const d = t.destination
      const hay = [t.id, t.name, t.source, d.url, d.library ?? '', d.folder ?? ''].join('\n').toLowerCase()
      if (!hay.includes(search)) return false
    }
    return true
  })
}
