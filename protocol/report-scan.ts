/**
 * Migration Manager's Scans list (mm-scan.md: Source path, Scan status, Data size, File count, Folder
 * count, Max path length, Root permissions, Last accessed, Created on, Migration readiness, Task ID) as
 * report rows: one per task in `Scan Summary Report.csv` from the task's assessment, and per round in
 * each task's ScanSummary.csv beside Migration Manager's ScanSummary columns.
 */
import type { Assessment } from './assessment.ts'
import { destinationText, type Cell } from './report-rows.ts'
import type { TaskView } from './views.ts'

export type ScanTask = Pick<TaskView, 'id' | 'name' | 'source' | 'destination' | 'status' | 'round' | 'assessment'>

/** The per-round figures the items give (report-rounds.ts RoundTally). */
export interface ScanRoundFigures {
  round: number
  files: number
  folders: number
  dataSize: number
  maxPathLength: number
  maxPath: string
}

/** Migration Manager's scan statuses ("success, failure, in progress, not started", plus Queued). */
export function scanStatus(t: ScanTask, round: number): string {
  if (t.assessment?.round === round) return 'Success'
  if (round !== t.round) return ''
  switch (t.status) {
    case 'completed': return 'Success'
    case 'failed': return 'Failure'
    case 'scanning':
    case 'in-progress': return 'In progress'
    case 'queued': return 'Queued'
    case 'scheduled': return 'Not started'
    case 'paused': return 'Paused'
    case 'cancelled': return 'Cancelled'
  }
}

const orUnknown = (v: number | string | null | undefined): Cell => (v === null || v === undefined ? 'unknown' : v)

function checkText(c: Assessment['destinationCheck']): string {
  if (!c) return 'not checked'
  return c.ok ? `ok: ${c.message}` : `failed: ${c.message}`
}

export const SCAN_LIST_ROUND_COLUMNS = [
  'Source path',
  'Scan status',
  'Data size',
  'File count',
  'Folder count',
  'Max path length',
  'Max path',
  'Root permissions',
  'Last accessed',
  'Created on',
  'Readiness reason',
  'Destination check',
  'Task ID',
] as const

/** The Scans list's cells for one round of a task: counts from the round's items, root facts from its assessment. */
export function scanListRoundCells(r: ScanRoundFigures, t: ScanTask | undefined): Cell[] {
  const a = t?.assessment?.round === r.round ? t.assessment : null
  return [
    t?.source ?? '',
    t ? scanStatus(t, r.round) : '',
    r.dataSize,
    r.files,
    r.folders,
    r.maxPathLength,
    r.maxPath,
    a ? orUnknown(a.rootPermissions) : '',
    a ? orUnknown(a.lastAccessed) : '',
    a ? orUnknown(a.created) : '',
    a?.readinessReason ?? '',
    a ? checkText(a.destinationCheck) : '',
    t?.id ?? '',
  ]
}

export const SCAN_LIST_FILE = 'Scan Summary Report.csv'

export const SCAN_LIST_COLUMNS = [
  'Source path',
  'Scan status',
  'Data size',
  'File count',
  'Folder count',
  'Max path length',
  'Root permissions',
  'Last accessed',
  'Created on',
  'Migration readiness',
  'Task ID',
  // ours: which task and where it writes, the longest path itself, why it is not Ready, the round scanned
  'Task name',
  'Destination',
  'Max path',
  'Readiness reason',
  'Destination check',
  'Incremental round',
] as const

/** One row per task, from its latest scan; a task never scanned has its status and blanks. */
export function scanListRow(t: ScanTask): Cell[] {
  const a = t.assessment ?? null
  const status = a && a.round !== t.round ? scanStatus(t, t.round) || 'Success' : a ? 'Success' : scanStatus(t, t.round)
  if (!a) return [t.source, status, '', '', '', '', '', '', '', '', t.id, t.name, destinationText(t.destination), '', '', '', '']
  return [
    t.source,
    status,
    a.dataSize,
    a.files,
    a.folders,
    a.maxPathLength,
    orUnknown(a.rootPermissions),
    orUnknown(a.lastAccessed),
    orUnknown(a.created),
    a.readiness,
    t.id,
    t.name,
    destinationText(t.destination),
    a.maxPath,
    a.readinessReason ?? '',
    checkText(a.destinationCheck),
    a.round,
  ]
}
