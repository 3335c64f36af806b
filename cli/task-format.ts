/**
 * Plain-text tables for `task list`, `task show` and `settings`: what an admin reads in a terminal.
 * Names, paths and reasons come from the ledger, written by any holder of the fleet key, and file names
 * from shares: every field is made terminal-safe here (a cell before it is padded, so columns stay
 * aligned; a line of `task show` as a whole), so an escape sequence shows as `\x1b` and does nothing.
 */
import { terminalSafe } from '../protocol/terminal-text.ts'
import type { Settings } from '../protocol/settings.ts'
import type { TaskJson, TaskView } from '../protocol/views.ts'
import { assessmentFields } from '../protocol/assessment-fields.ts'
import { formatSecondsLeft } from '../protocol/time-left.ts'

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`
}

function destText(t: TaskJson): string {
  return [t.destination.url, t.destination.library, t.destination.folder].filter(Boolean).join(' / ')
}

function pad(raw: string, n: number): string {
  const s = terminalSafe(raw)
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n)
}

export function formatTaskTable(tasks: TaskJson[]): string {
  if (tasks.length === 0) return 'no tasks yet: add one with mmesh task add or mmesh task import'
  const rows = tasks.map((t) => {
    const done = t.counts.migrated + t.counts.unchanged + t.counts.failed
    return [
      terminalSafe(t.id),
      pad(t.name, 20),
      pad(t.status, 11),
      `${done}/${t.counts.toMigrate}`.padStart(11),
      formatBytes(t.bytes.migrated).padStart(9),
      pad(`${t.source} → ${destText(t)}`, 60),
    ].join('  ')
  })
  return [['ID'.padEnd(36), 'NAME'.padEnd(20), 'STATUS'.padEnd(11), 'FILES'.padStart(11), 'BYTES'.padStart(9), 'SOURCE → DESTINATION'].join('  '), ...rows].join('\n')
}

function timeLeftText(v: TaskView): string {
  const s = v.estimatedSecondsLeft ?? null
  if (s === null || v.status === 'completed') return formatSecondsLeft(s)
  if (v.estimateIsLowerBound) return `at least ${formatSecondsLeft(s)} (the walk is still finding items; estimated from the measured rate)`
  return `${formatSecondsLeft(s)} (estimated from the measured rate)`
}

export function formatTaskDetail(v: TaskView): string {
  const c = v.counts
  const lines = [
    `Task        ${v.name} (${v.id})`,
    `Status      ${v.status}${v.waitingReason ? ` — waiting: ${v.waitingReason}` : ''}`,
    `Source      ${v.source}`,
    `Destination ${destText(v)}`,
    `Group       ${v.group}`,
    `Agent       ${v.agent ?? '-'}`,
    `Round       ${v.round}${v.epoch ? ` (epoch ${v.epoch})` : ''}`,
    `Items       scanned ${c.scanned}, to migrate ${c.toMigrate}, migrated ${c.migrated}, unchanged ${c.unchanged}, skipped ${c.skipped}, failed ${c.failed}`,
    `Bytes       ${formatBytes(v.bytes.migrated)} of ${formatBytes(v.bytes.total)}`,
    `Created     ${v.createdAt}`,
    ...(v.startAt ? [`Starts at   ${v.startAt}${v.status === 'scheduled' ? ' (no agent starts it before then)' : ''}`] : []),
    `Started     ${v.startedAt ?? '-'}`,
    `Finished    ${v.finishedAt ?? '-'}`,
    ...(v.estimatedSecondsLeft !== undefined ? [`Time left   ${timeLeftText(v)}`] : []),
  ]
  if (v.tags.length > 0) lines.push(`Tags        ${v.tags.join('; ')}`)
  if (v.failureReason) lines.push(`Failure     ${v.failureReason}`)
  const overrides = Object.entries(v.overrides)
  if (overrides.length > 0) lines.push(`Settings    ${overrides.map(([k, val]) => `${k}=${JSON.stringify(val)}`).join(', ')}`)
  if (v.assessment) {
    lines.push(`Scan        round ${v.assessment.round}`)
    for (const [label, value] of assessmentFields(v.assessment, formatBytes)) lines.push(`  ${label.padEnd(20)}${value}`)
  }
  lines.push('Timeline')
  for (const e of v.timeline) lines.push(`  ${e.at}  ${e.what}`)
  const failures = v.recentFailures ?? []
  if (failures.length > 0) {
    lines.push(`Failed items (latest ${failures.length}${c.failed > failures.length ? ` of ${c.failed}; all in ItemFailureReport.csv from mmesh report` : ''})`)
    for (const f of failures) lines.push(`  ${f.item}: ${f.message}`)
  }
  // Line by line: a field's own line break or escape sequence cannot start a line of its own.
  return lines.map(terminalSafe).join('\n')
}

export function formatSettings(s: Settings): string {
  return Object.entries(s)
    .map(([k, v]) => terminalSafe(`${k.padEnd(40)} ${Array.isArray(v) ? v.join(':') || '(none)' : v === null ? '(none)' : String(v)}`))
    .join('\n')
}
