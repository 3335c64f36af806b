/**
 * Pure functions from a FleetSnapshot to what the views show: the filtered, sorted task order, fleet
 * totals, per-task progress. With 50,000 tasks the app calls these only when the data, the sort or the
 * filter changed (memoised in hooks), never per key press; rows are then read by index for the screen only.
 */
import { fleetSecondsLeft } from '../protocol/time-left.ts'
import { parseFilterText, prepareFilter, searchText, taskMatches, type TaskFilter as ProtoFilter } from '../protocol/task-filter.ts'
import { TASK_STATUSES, type FleetSnapshot, type TaskLive, type TaskStatus, type TaskView } from '../protocol/views.ts'

export const SORT_KEYS = ['status', 'name', 'progress', 'throughput', 'created', 'agent'] as const
export type SortKey = (typeof SORT_KEYS)[number]

export interface SortSpec {
  key: SortKey
  desc: boolean
}

export interface TaskFilter {
  /**
   * Words the admin typed after `/`: `task list`'s filters as words (`status:failed tag:T agent:A group:G
   * archived`, protocol/task-filter.ts); other words are searched for, each of them.
   */
  text: string
  /** Status chosen with `f`; null for all. */
  status: TaskStatus | null
}

export const EMPTY_FILTER: TaskFilter = { text: '', status: null }

/** The order active work is shown in: what needs eyes first. */
const STATUS_RANK: Record<TaskStatus, number> = {
  'in-progress': 0,
  scanning: 1,
  failed: 2,
  paused: 3,
  queued: 4,
  scheduled: 5,
  completed: 6,
  cancelled: 7,
}

export interface TaskProgress {
  bytesDone: number
  bytesTotal: number
  filesDone: number
  filesTotal: number
  throughput: number
  /** 0..1 by bytes; by files when no byte total is known yet. */
  fraction: number
}

/** Progress of one task, the live numbers from presence taking over while they run ahead of the ledger. */
export function taskProgress(task: TaskView, live: TaskLive | undefined): TaskProgress {
  const bytesTotal = task.bytes.total
  const filesTotal = task.counts.toMigrate
  const ledgerFiles = task.counts.migrated + task.counts.unchanged + task.counts.failed
  const running = task.status === 'in-progress' || task.status === 'scanning'
  const bytesDone = Math.min(bytesTotal, Math.max(task.bytes.migrated, running && live ? live.bytesDone : 0))
  const filesDone = Math.min(filesTotal, Math.max(ledgerFiles, running && live ? live.filesDone : 0))
  const throughput = running && live ? live.throughput : 0
  let fraction = 0
  if (bytesTotal > 0) fraction = bytesDone / bytesTotal
  else if (filesTotal > 0) fraction = filesDone / filesTotal
  else if (task.status === 'completed') fraction = 1
  return { bytesDone, bytesTotal, filesDone, filesTotal, throughput, fraction }
}

const haystackCache = new WeakMap<readonly TaskView[], string[]>()
const taskHay = new WeakMap<TaskView, string>()

/**
 * Each task's search text (protocol/task-filter.ts searchText), built lazily (only once a filter is
 * typed), kept while the task list is the same array, and per task while the task object is the same: a
 * snapshot that changed a few tasks rebuilds only theirs.
 */
export function haystacksFor(tasks: readonly TaskView[]): string[] {
  let h = haystackCache.get(tasks)
  if (!h) {
    h = new Array<string>(tasks.length)
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i]!
      let c = taskHay.get(t)
      if (c === undefined) {
        c = searchText(t)
        taskHay.set(t, c)
      }
      h[i] = c
    }
    haystackCache.set(tasks, h)
  }
  return h
}

export function agentNameMap(snapshot: Pick<FleetSnapshot, 'agents'>): Map<string, string> {
  return new Map(snapshot.agents.map((a) => [a.id, a.name]))
}

/** Whether the sort reads live numbers (then it must be redone when they change, else it need not). */
export function sortUsesLive(key: SortKey): boolean {
  return key === 'progress' || key === 'throughput'
}

interface BaseOrder {
  tasks: readonly TaskView[]
  /** Position → index, ordered by creation time, then name, then index: every sort's tie-break. */
  order: Int32Array
}

let baseCache: BaseOrder | null = null

/** Whether two task lists hold the same tasks with the same creation times and names, position by position. */
function sameBase(a: readonly TaskView[], b: readonly TaskView[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    if (x !== y && (x.id !== y.id || x.createdAt !== y.createdAt || x.name !== y.name)) return false
  }
  return true
}

function compareOrder(tasks: readonly TaskView[]): Int32Array {
  const n = tasks.length
  const names = tasks.map((t) => t.name.toLowerCase())
  const created = new Float64Array(n)
  for (let i = 0; i < n; i++) created[i] = Date.parse(tasks[i]!.createdAt) || 0
  const byName = (a: number, b: number): number => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0)
  const byCreated = (a: number, b: number): number => created[a]! - created[b]!
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  order.sort((a, b) => byCreated(a, b) || byName(a, b) || a - b)
  return order
}

/**
 * The creation order of a task list, kept while the list holds the same tasks: a snapshot that only
 * changed progress or status (the usual update) reuses it, so a re-sort is a linear pass and a numeric sort.
 */
function baseOrder(tasks: readonly TaskView[]): BaseOrder {
  const prev = baseCache
  if (prev && prev.tasks === tasks) return prev
  if (prev && sameBase(prev.tasks, tasks)) {
    baseCache = { ...prev, tasks }
    return baseCache
  }
  baseCache = { tasks, order: compareOrder(tasks) }
  return baseCache
}

const POS_BITS = 2 ** 21
const MAX_PRIMARY = 2 ** 31

/** Indexes into `tasks` in display order. Ties keep creation order (then name), so rows stay put. */
export function sortOrder(
  tasks: readonly TaskView[],
  live: Readonly<Record<string, TaskLive>>,
  agentNames: ReadonlyMap<string, string>,
  sort: SortSpec,
): Int32Array {
  const n = tasks.length
  const base = baseOrder(tasks)
  const reversed = (o: Int32Array): Int32Array => (sort.desc ? o.slice().reverse() : o.slice())
  if (sort.key === 'created') return reversed(base.order)
  // The primary key as a whole number, packed with the tie-break position into one float that a
  // comparator-free typed-array sort orders (a comparator call per comparison costs ~10x more at 50,000).
  const primary = new Float64Array(n)
  switch (sort.key) {
    case 'status':
      for (let i = 0; i < n; i++) primary[i] = STATUS_RANK[tasks[i]!.status] ?? 9
      break
    case 'name': {
      // Rank the distinct names with the built-in string sort (no comparator: code-unit order, as '<').
      const lower = tasks.map((t) => t.name.toLowerCase())
      const rank = new Map([...new Set(lower)].sort().map((name, k) => [name, k]))
      for (let i = 0; i < n; i++) primary[i] = rank.get(lower[i]!)!
      break
    }
    case 'agent': {
      const label = (t: TaskView): string => (t.agent ? (agentNames.get(t.agent) ?? t.agent) : '\uffff').toLowerCase()
      const distinct = [...new Set(tasks.map(label))].sort()
      const rank = new Map(distinct.map((name, k) => [name, k]))
      for (let i = 0; i < n; i++) primary[i] = rank.get(label(tasks[i]!))!
      break
    }
    case 'progress':
      for (let i = 0; i < n; i++) primary[i] = Math.round(taskProgress(tasks[i]!, live[tasks[i]!.id]).fraction * 1e6)
      break
    case 'throughput':
      // KB/s: finer than anyone reads, and it keeps the packed number exact.
      for (let i = 0; i < n; i++) primary[i] = Math.min(MAX_PRIMARY - 1, Math.round(taskProgress(tasks[i]!, live[tasks[i]!.id]).throughput / 1024))
      break
  }
  if (n >= POS_BITS) {
    const pos = new Int32Array(n)
    for (let k = 0; k < n; k++) pos[base.order[k]!] = k
    const o = base.order.slice()
    o.sort((a, b) => (sort.desc ? primary[b]! - primary[a]! : primary[a]! - primary[b]!) || pos[a]! - pos[b]!)
    return o
  }
  const packed = new Float64Array(n)
  for (let k = 0; k < n; k++) {
    const p = primary[base.order[k]!]!
    packed[k] = (sort.desc ? MAX_PRIMARY - p : p) * POS_BITS + k
  }
  packed.sort()
  const out = new Int32Array(n)
  for (let k = 0; k < n; k++) out[k] = base.order[packed[k]! % POS_BITS]!
  return out
}

export interface ParsedFilter {
  /** the same filters as `task list`'s flags (protocol/task-filter.ts) */
  filter: ProtoFilter
  /** Words after status: that name no status; shown to the admin instead of silently matching nothing. */
  unknown: string[]
}

const parsedCache = new Map<string, ParsedFilter>()

/** The filter line's words as `task list`'s filters; the `f` status is applied on top (both must hold). */
export function parseFilter(filter: TaskFilter): ParsedFilter {
  let p = parsedCache.get(filter.text)
  if (!p) {
    p = parseFilterText(filter.text)
    if (parsedCache.size > 100) parsedCache.clear()
    parsedCache.set(filter.text, p)
  }
  return p
}

/** The filter line asks for the archived tasks (`archived`): the view then lists those only. */
export function wantsArchived(filter: TaskFilter): boolean {
  return parseFilter(filter).filter.archived === true
}

export function isEmptyFilter(filter: TaskFilter): boolean {
  return filter.status === null && filter.text.trim() === ''
}

/**
 * Keeps the sort order; O(n) over the precomputed search texts. The tasks given are the archived ones
 * when the filter asks for them, the others otherwise (see hooks.ts), so `archived` is not checked again.
 */
export function filterOrder(
  order: Int32Array,
  tasks: readonly TaskView[],
  agentNames: ReadonlyMap<string, string>,
  filter: TaskFilter,
): Int32Array {
  if (isEmptyFilter(filter)) return order
  const parsed = parseFilter(filter).filter
  const prepared = { ...prepareFilter(parsed), archived: null }
  const hay = prepared.search.length > 0 ? haystacksFor(tasks) : null
  const out = new Int32Array(order.length)
  let k = 0
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!
    const t = tasks[i]!
    if (filter.status !== null && t.status !== filter.status) continue
    if (!taskMatches(t, prepared, agentNames, hay ? hay[i] : undefined)) continue
    out[k++] = i
  }
  return out.slice(0, k)
}

export interface FleetTotals {
  tasks: number
  byStatus: Record<TaskStatus, number>
  filesDone: number
  filesTotal: number
  bytesDone: number
  bytesTotal: number
  failedItems: number
  throughput: number
  /** The fleet's estimated time left (protocol/time-left.ts); null: unknown, 0: nothing left. */
  etaSeconds: number | null
  agentsOnline: number
  agents: number
  slots: number
  running: number
}

/** One pass over the tasks; called once per snapshot (memoised), not per key press. */
export function fleetTotals(snapshot: FleetSnapshot): FleetTotals {
  const byStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>
  let filesDone = 0
  let filesTotal = 0
  let bytesDone = 0
  let bytesTotal = 0
  let failedItems = 0
  let taskRate = 0
  for (const t of snapshot.tasks) {
    byStatus[t.status] = (byStatus[t.status] ?? 0) + 1
    if (t.status === 'cancelled') continue
    const p = taskProgress(t, snapshot.live[t.id])
    filesDone += p.filesDone
    filesTotal += p.filesTotal
    bytesDone += p.bytesDone
    bytesTotal += p.bytesTotal
    failedItems += t.counts.failed
    taskRate += p.throughput
  }
  let agentRate = 0
  let agentsOnline = 0
  let slots = 0
  let running = 0
  for (const a of snapshot.agents) {
    if (a.state === 'online') {
      agentsOnline++
      slots += a.capacity
      running += a.running
      agentRate += a.live?.throughput ?? 0
    }
  }
  // Agents report their whole rate (scans included); tasks only copy. Take the larger, both are live.
  const throughput = Math.max(agentRate, taskRate)
  const tasks = snapshot.tasks
  const etaSeconds = fleetSecondsLeft(tasks, (i) => snapshot.live[tasks[i]!.id], throughput, Date.parse(snapshot.at))
  return {
    tasks: snapshot.tasks.length,
    byStatus,
    filesDone,
    filesTotal,
    bytesDone,
    bytesTotal,
    failedItems,
    throughput,
    etaSeconds,
    agentsOnline,
    agents: snapshot.agents.length,
    slots,
    running,
  }
}

/** The first visible row that keeps `cursor` on screen, moving as little as possible from `prevTop`. */
export function scrollTop(prevTop: number, cursor: number, height: number, count: number): number {
  const h = Math.max(1, height)
  let top = Math.min(prevTop, cursor)
  if (cursor >= top + h) top = cursor - h + 1
  return Math.max(0, Math.min(top, Math.max(0, count - h)))
}

/** A cursor move by key: arrows/jk one row, PgUp/PgDn a screen, g/G or Home/End the ends. */
export function moveCursor(
  cursor: number,
  count: number,
  page: number,
  input: string,
  key: { upArrow: boolean; downArrow: boolean; pageUp: boolean; pageDown: boolean; home: boolean; end: boolean },
): number | null {
  let next: number
  if (key.downArrow || input === 'j') next = cursor + 1
  else if (key.upArrow || input === 'k') next = cursor - 1
  else if (key.pageDown || input === ' ') next = cursor + Math.max(1, page)
  else if (key.pageUp) next = cursor - Math.max(1, page)
  else if (key.home || input === 'g') next = 0
  else if (key.end || input === 'G') next = count - 1
  else return null
  return Math.max(0, Math.min(count - 1, next))
}

/** Compact counts for narrow cells: 950, 12k, 1.2M. */
export function compactCount(n: number): string {
  if (n < 1000) return String(n)
  if (n < 10_000) return `${(n / 1000).toFixed(1)}k`
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`
  return `${(n / 1_000_000).toFixed(1)}M`
}
