/**
 * Rows of Migration Manager's reports, built from what the ledger says about a task (TaskView) and from
 * the item records of its rounds. Pure: the writer in node/reports streams these to files.
 */
import type { ItemRecord } from './items.ts'
import type { TaskStatus, TaskView } from './views.ts'
import { taskSecondsLeft } from './time-left.ts'

export type Cell = string | number
export type AgentNameLookup = (agentId: string) => string

export const SUMMARY_COLUMNS = [
  'Task name',
  'Status',
  'Source',
  'Destination',
  'Total scanned items',
  'Total to be migrated items',
  'Migrated items',
  'Items not migrated',
  'Total bytes',
  'Total GB',
  'Migrated bytes',
  'Migrated GB',
  'Agent',
  'Duration',
  'TaskID',
  'Task failure reason',
  'Agent group',
  // Migration Manager includes a task's tags in the summary report (Tagging); `;` between them
  'Tags',
  // not a Migration Manager column: hh:mm:ss by the measured rate, "unknown" until there is one
  'Estimated time left',
] as const

export const ITEM_COLUMNS = [
  'Source',
  'Destination',
  'Item name',
  'Extension',
  'Item size',
  'Status',
  'Result category',
  'Message',
  'Incremental round',
  'Task ID',
  'Device name',
] as const

/** Migration Manager puts Error code right after Message in ItemFailureReport. */
export const ITEM_FAILURE_COLUMNS = [...ITEM_COLUMNS.slice(0, 8), 'Error code', ...ITEM_COLUMNS.slice(8)] as const

export const STATUS_WORDS: Record<TaskStatus, string> = {
  scheduled: 'Scheduled',
  queued: 'Queued',
  scanning: 'Scanning',
  'in-progress': 'In progress',
  paused: 'Paused',
  completed: 'Complete',
  failed: 'Failed',
  cancelled: 'Cancelled',
}

/** Accepts a contract status (`in-progress`) or a report word (`In progress`, `Complete`), any case. */
export function parseStatusFilter(s: string): TaskStatus | null {
  const v = s.trim().toLowerCase().replace(/[\s_]+/g, '-')
  for (const [status, word] of Object.entries(STATUS_WORDS) as [TaskStatus, string][]) {
    if (v === status || v === word.toLowerCase().replace(/\s+/g, '-')) return status
  }
  if (v === 'complete' || v === 'completed') return 'completed'
  if (v === 'canceled') return 'cancelled'
  if (v === 'inprogress') return 'in-progress'
  return null
}

const GIB = 2 ** 30
export function toGB(bytes: number): string {
  return (bytes / GIB).toFixed(3)
}

/** hh:mm:ss; hours keep counting past 24 so a long task still sorts and sums in a spreadsheet. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
}

/** One text for where a task writes: the site or folder URL, then the library and folder. */
export function destinationText(d: TaskView['destination']): string {
  return [d.url.replace(/\/+$/, ''), d.library, d.folder].filter((p): p is string => !!p).join('/')
}

/**
 * Duration of the last round: its start to its end, or to `now` while it still runs; empty before it starts.
 */
export function taskDuration(t: Pick<TaskView, 'startedAt' | 'finishedAt' | 'status'>, now: Date): string {
  if (!t.startedAt) return ''
  const start = Date.parse(t.startedAt)
  const end = t.finishedAt ? Date.parse(t.finishedAt) : now.getTime()
  if (!Number.isFinite(start) || !Number.isFinite(end)) return ''
  return formatDuration(end - start)
}

export function summaryRow(t: TaskView, agentName: AgentNameLookup, now: Date): Cell[] {
  const atDestination = t.counts.migrated + t.counts.unchanged
  // Once a round ends toMigrate = migrated + unchanged + failed, so this is the failed count; while it runs
  // it also counts what is still to do, which is what "not migrated" means at that moment.
  const notMigrated = Math.max(0, t.counts.toMigrate - atDestination)
  return [
    t.name,
    STATUS_WORDS[t.status] ?? t.status,
    t.source,
    destinationText(t.destination),
    t.counts.scanned,
    t.counts.toMigrate,
    atDestination,
    notMigrated,
    t.bytes.total,
    toGB(t.bytes.total),
    t.bytes.migrated,
    toGB(t.bytes.migrated),
    t.agent ? agentName(t.agent) : '',
    taskDuration(t, now),
    t.id,
    t.failureReason ?? '',
    t.group,
    t.tags.join(';'),
    timeLeftCell(t.estimatedSecondsLeft !== undefined ? t.estimatedSecondsLeft : taskSecondsLeft(t, undefined, now.getTime())),
  ]
}

function timeLeftCell(s: number | null): string {
  return s === null ? 'unknown' : formatDuration(s * 1000 + 999)
}

export function itemRow(i: ItemRecord): Cell[] {
  return [i.source, i.destination, i.name, i.extension, i.size, i.status, i.resultCategory, i.message, i.round, i.taskId, i.device]
}

export function itemFailureRow(i: ItemRecord): Cell[] {
  return [i.source, i.destination, i.name, i.extension, i.size, i.status, i.resultCategory, i.message, i.errorCode, i.round, i.taskId, i.device]
}

export interface ReportFilter {
  taskIds?: string[]
  statuses?: TaskStatus[]
  /** agent name or peer id of the current or last holder */
  agent?: string
  /** ISO instant: tasks created at or after it */
  since?: string
}

export function selectTasks(tasks: TaskView[], filter: ReportFilter, agentName: AgentNameLookup): TaskView[] {
  const ids = filter.taskIds?.length ? new Set(filter.taskIds) : null
  const statuses = filter.statuses?.length ? new Set(filter.statuses) : null
  const since = filter.since ? Date.parse(filter.since) : NaN
  const agent = filter.agent?.toLowerCase()
  return tasks.filter((t) => {
    if (ids && !ids.has(t.id)) return false
    if (statuses && !statuses.has(t.status)) return false
    if (agent !== undefined && (!t.agent || (t.agent.toLowerCase() !== agent && agentName(t.agent).toLowerCase() !== agent))) return false
    if (Number.isFinite(since) && !(Date.parse(t.createdAt) >= since)) return false
    return true
  })
}

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or CR before one) as a formula, so a path
 * like `=cmd|' /C calc'!A0` could run a command on the admin's PC. Such text cells get a leading `'`,
 * which Excel shows as text and does not display; the ledger and ledger.json keep the value as given.
 * Numbers are numbers and are written as they are.
 */
export function escapeFormula(cell: Cell): Cell {
  if (typeof cell !== 'string' || cell.length === 0) return cell
  const c = cell.charCodeAt(0)
  // = + - @ \t \r
  if (c === 0x3d || c === 0x2b || c === 0x2d || c === 0x40 || c === 0x09 || c === 0x0d) return `'${cell}`
  return cell
}
