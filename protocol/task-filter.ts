/**
 * Task filters: `task list --status --tag --agent --group --search --archived`, and the fleet view's
 * filter line, which takes the same filters as words (`status:failed tag:"Wave 1" agent:vm-02 group:eu
 * archived`, anything else searched for). One predicate for both, combinable (AND), applied to what the
 * contract's task JSON holds, so `--json` prints the tasks the table shows. Pure: agents' names come in.
 */
import { TASK_STATUSES as STATUSES, type TaskJson, type TaskStatus } from './views.ts'

export const TASK_STATUSES: readonly TaskStatus[] = STATUSES

export interface TaskFilter {
  /** any of these statuses */
  status?: readonly string[]
  /** a peer id, or an agent's name (of the current or last holder) */
  agent?: string
  group?: string
  /** case-insensitive, in the id, name, source or destination; several: each of them */
  search?: string | readonly string[]
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

type Filterable = Pick<TaskJson, 'id' | 'name' | 'source' | 'destination' | 'group' | 'status' | 'agent' | 'archived' | 'tags'>

/** The lower-case text `search` looks in; callers that filter often may build it once per task. */
export function searchText(t: Pick<TaskJson, 'id' | 'name' | 'source' | 'destination'>): string {
  const d = t.destination
  return [t.id, t.name, t.source, d.url, d.library ?? '', d.folder ?? ''].join('\n').toLowerCase()
}

/** A filter made ready for many tasks: lower-cased once. */
export interface PreparedFilter {
  statuses: Set<string> | null
  agent: string | undefined
  group: string | undefined
  search: string[]
  tag: readonly string[] | null
  /** null: either (a caller that split the archived tasks off already) */
  archived: boolean | null
}

export function prepareFilter(f: TaskFilter): PreparedFilter {
  const search = f.search === undefined ? [] : (typeof f.search === 'string' ? [f.search] : [...f.search]).map((s) => s.toLowerCase()).filter((s) => s !== '')
  return {
    statuses: f.status && f.status.length > 0 ? new Set(f.status) : null,
    agent: f.agent,
    group: f.group?.toLowerCase(),
    search,
    tag: f.tag && f.tag.length > 0 ? f.tag : null,
    archived: f.archived === true,
  }
}

/**
 * Whether a task passes. `agentNames`: peer id → name, to match an agent by name (any case, as names are
 * typed); `hay`: the task's searchText when the caller keeps it.
 */
export function taskMatches(t: Filterable, p: PreparedFilter, agentNames: ReadonlyMap<string, string>, hay?: string): boolean {
  if (p.archived !== null && t.archived !== p.archived) return false
  if (p.statuses && !p.statuses.has(t.status)) return false
  if (p.tag && !p.tag.every((x) => t.tags.includes(x))) return false
  if (p.group !== undefined && t.group.toLowerCase() !== p.group) return false
  if (p.agent !== undefined && (t.agent === null || (t.agent !== p.agent && agentNames.get(t.agent)?.toLowerCase() !== p.agent.toLowerCase()))) return false
  if (p.search.length > 0) {
    const h = hay ?? searchText(t)
    for (const s of p.search) if (!h.includes(s)) return false
  }
  return true
}

/** `agentNames`: peer id → name, to match --agent by name. */
export function filterTasks<T extends Filterable>(tasks: readonly T[], f: TaskFilter, agentNames: ReadonlyMap<string, string> = new Map()): T[] {
  const p = prepareFilter(f)
  return tasks.filter((t) => taskMatches(t, p, agentNames))
}

export interface ParsedFilterText {
  filter: TaskFilter
  /** words that name no status (`status:bogus`): shown to the admin rather than silently matching nothing */
  unknown: string[]
}

/** Splits typed text into words; "double quotes" keep a value with spaces together (`tag:"Wave 1"`). */
function words(text: string): string[] {
  const out: string[] = []
  const re = /(\S*?)"([^"]*)"?|\S+/g
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[2] !== undefined ? `${m[1]}${m[2]}` : m[0])
  return out
}

/**
 * The fleet view's filter line as a TaskFilter: `status:S` (or `is:S`; a prefix, `status:fail`),
 * `tag:T`, `agent:A`, `group:G`, `archived` (or `is:archived`), `search:TEXT`; other words are searched
 * for, each of them. Keys are any case; tag values keep theirs (tags match exactly).
 */
export function parseFilterText(text: string): ParsedFilterText {
  const status: string[] = []
  const tag: string[] = []
  const search: string[] = []
  const unknown: string[] = []
  const filter: TaskFilter = {}
  for (const w of words(text)) {
    const m = /^([a-z]+):(.*)$/i.exec(w)
    const key = m?.[1]!.toLowerCase()
    const value = m?.[2] ?? ''
    if (w.toLowerCase() === 'archived' || (key === 'is' && value.toLowerCase() === 'archived')) filter.archived = true
    else if (m && (key === 'status' || key === 'is')) {
      const want = value.toLowerCase()
      const hits = TASK_STATUSES.filter((s) => s.startsWith(want))
      if (want && hits.length > 0) status.push(...hits)
      else unknown.push(w)
    } else if (m && key === 'tag' && value) tag.push(value)
    else if (m && key === 'agent' && value) filter.agent = value
    else if (m && key === 'group' && value) filter.group = value
    else if (m && key === 'search' && value) search.push(value)
    else search.push(w)
  }
  if (status.length > 0) filter.status = [...new Set(status)]
  if (tag.length > 0) filter.tag = tag
  if (search.length > 0) filter.search = search
  return { filter, unknown }
}
