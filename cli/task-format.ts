/** Plain-text tables for `task list`, `task show` and `settings`: what an admin reads in a terminal. */
import type { Settings } from '../protocol/settings.ts'
import type { TaskJson, TaskView } from '../protocol/views.ts'

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

function pad(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n)
}

export function formatTaskTable(tasks: TaskJson[]): string {
  if (tasks.length === 0) return 'no tasks yet: add one with mmesh task add or mmesh task import'
  const rows = tasks.map((t) => {
    const done = t.counts.migrated + t.counts.unchanged + t.counts.failed
    return [
      t.id,
      pad(t.name, 20),
      pad(t.status, 11),
      `${done}/${t.counts.toMigrate}`.padStart(11),
      formatBytes(t.bytes.migrated).padStart(9),
      pad(`${t.source} → ${destText(t)}`, 60),
    ].join('  ')
  })
  return [['ID'.padEnd(36), 'NAME'.padEnd(20), 'STATUS'.padEnd(11), 'FILES'.padStart(11), 'BYTES'.padStart(9), 'SOURCE → DESTINATION'].join('  '), ...rows].join('\n')
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
    `Started     ${v.startedAt ?? '-'}`,
    `Finished    ${v.finishedAt ?? '-'}`,
  ]
  if (v.failureReason) lines.push(`Failure     ${v.failureReason}`)
  const overrides = Object.entries(v.overrides)
  if (overrides.length > 0) lines.push(`Settings    ${overrides.map(([k, val]) => `${k}=${JSON.stringify(val)}`).join(', ')}`)
  lines.push('Timeline')
  for (const e of v.timeline) lines.push(`  ${e.at}  ${e.what}`)
  return lines.join('\n')
}

export function formatSettings(s: Settings): string {
  return Object.entries(s)
    .map(([k, v]) => `${k.padEnd(40)} ${Array.isArray(v) ? v.join(':') || '(none)' : v === null ? '(none)' : String(v)}`)
    .join('\n')
}
