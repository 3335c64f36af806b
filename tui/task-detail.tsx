/**
 * Task detail: where the task stands, Migration Manager's item summary counters, settings in force,
 * the timeline and the latest failures. Built as a list of one-line rows so it scrolls in any height.
 */
import React from 'react'
import { Box, Text } from 'ink'
import type { TaskLive, TaskView } from '../protocol/views.ts'
import { SETTING_KEYS } from '../protocol/settings.ts'
import { bar, cell, destinationText, formatBytes, formatLeft, formatRate, formatTime, percent } from './format.ts'
import { taskSecondsLeft } from '../protocol/time-left.ts'
import { taskProgress } from './view-model.ts'
import { assessmentFields } from '../protocol/assessment-fields.ts'
import { STATUS_COLOR } from './tasks-view.tsx'

export interface TaskDetailProps {
  task: TaskView | null
  /** Shown while a task just added has not reached the snapshot yet. */
  pendingName: string | null
  taskId: string
  live: TaskLive | undefined
  /** the snapshot's time: "now" for the time left */
  at: string
  agentNames: ReadonlyMap<string, string>
  width: number
  height: number
  scroll: number
  confirmCancel: boolean
}

function settingText(v: unknown): string {
  if (Array.isArray(v)) return v.length ? v.join(':') : '(none)'
  if (v === null || v === undefined) return '(none)'
  return String(v)
}

/** Packs "Key=value" words into lines no wider than width. */
function packWords(words: string[], width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const w of words) {
    if (line && line.length + 2 + w.length > width) {
      lines.push(line)
      line = w
    } else line = line ? `${line}  ${w}` : w
  }
  if (line) lines.push(line)
  return lines
}

export function detailRows(task: TaskView, live: TaskLive | undefined, agentNames: ReadonlyMap<string, string>, width: number, nowMs: number): React.ReactElement[] {
  const rows: React.ReactElement[] = []
  const add = (el: React.ReactElement): void => {
    rows.push(<Box key={rows.length}>{el}</Box>)
  }
  const text = (s: string, props: React.ComponentProps<typeof Text> = {}): void => add(<Text wrap="truncate" {...props}>{cell(s, width)}</Text>)
  const pr = taskProgress(task, live)
  const agent = task.agent ? (agentNames.get(task.agent) ?? task.agent) : 'none'
  add(
    <Text wrap="truncate">
      <Text bold>{task.name}</Text>
      {'  '}
      <Text color={STATUS_COLOR[task.status]} bold>
        {task.status}
      </Text>
      {`  round ${task.round}  agent ${agent}  id ${task.id}`}
    </Text>,
  )
  text(`Source       ${task.source}`)
  text(`Destination  ${destinationText(task.destination)}`)
  text(`Group ${task.group}   Created ${formatTime(task.createdAt)}`)
  text(`Started ${formatTime(task.startedAt)}   Finished ${formatTime(task.finishedAt)}`)
  const barW = Math.max(5, Math.min(30, width - 70))
  add(
    <Text wrap="truncate">
      {'Progress     '}
      <Text color="cyan">{bar(pr.fraction, barW)}</Text>
      {` ${percent(pr.bytesTotal > 0 ? pr.bytesDone : pr.filesDone, pr.bytesTotal > 0 ? pr.bytesTotal : pr.filesTotal)}  ${formatBytes(pr.bytesDone)} of ${formatBytes(pr.bytesTotal)}  files ${pr.filesDone}/${pr.filesTotal}  ${formatRate(pr.throughput)}  time left ${formatLeft(taskSecondsLeft(task, live, nowMs))}`}
    </Text>,
  )
  if (task.waitingReason) text(`Waiting: ${task.waitingReason}`, { color: 'yellow' })
  if (task.failureReason) text(`Failure: ${task.failureReason}`, { color: 'red' })
  const c = task.counts
  text('Item summary', { bold: true })
  for (const line of packWords(
    [`Scanned ${c.scanned}`, `To be migrated ${c.toMigrate}`, `Migrated ${c.migrated}`, `Unchanged ${c.unchanged}`, `Skipped ${c.skipped}`, `Failed ${c.failed}`],
    width - 2,
  ))
    text(`  ${line}`)
  if (task.assessment) {
    const a = task.assessment
    text(`Scan (round ${a.round})`, { bold: true })
    const color = a.readiness === 'Errors' ? 'red' : a.readiness === 'Warnings' ? 'yellow' : 'green'
    for (const [label, value] of assessmentFields(a, formatBytes)) text(`  ${label.padEnd(19)} ${value}`, label === 'Migration readiness' ? { color } : {})
  }
  text('Settings (* = set on this task)', { bold: true })
  const overrides = task.overrides as Record<string, unknown>
  for (const line of packWords(
    SETTING_KEYS.map((k) => `${k in overrides ? '*' : ''}${k}=${settingText(task.settings[k])}`),
    width - 2,
  ))
    text(`  ${line}`)
  text('Timeline', { bold: true })
  if (task.timeline.length === 0) text('  (nothing yet)', { dimColor: true })
  for (const e of task.timeline) text(`  ${formatTime(e.at)}  ${e.what}`)
  const failures = task.recentFailures ?? []
  text(`Latest failures${c.failed > failures.length ? ` (${failures.length} of ${c.failed}; all in ItemFailureReport.csv via e export)` : ''}`, { bold: true })
  if (failures.length === 0) text(c.failed > 0 ? '  (details not loaded yet)' : '  none', { dimColor: true })
  for (const f of failures) text(`  ${f.item}: ${f.message}`, { color: 'red' })
  return rows
}

export function TaskDetail(p: TaskDetailProps): React.ReactElement {
  if (!p.task) {
    return (
      <Box flexDirection="column" width={p.width} height={p.height}>
        <Text bold wrap="truncate">
          {cell(p.pendingName ? `${p.pendingName}  queued  id ${p.taskId}` : `Task ${p.taskId}`, p.width)}
        </Text>
        <Text dimColor wrap="truncate">
          {cell(p.pendingName ? 'Added. Waiting for the ledger to show it (a moment)…' : 'This task is not in the ledger (Esc to go back).', p.width)}
        </Text>
      </Box>
    )
  }
  const rows = detailRows(p.task, p.live, p.agentNames, p.width, Date.parse(p.at))
  const room = Math.max(1, p.height - 1)
  const first = Math.max(0, Math.min(p.scroll, rows.length - room))
  const canPause = p.task.status === 'paused' ? 'p resume' : 'p pause'
  return (
    <Box flexDirection="column" width={p.width} height={p.height}>
      <Box flexDirection="column" height={room}>
        {rows.slice(first, first + room)}
      </Box>
      {p.confirmCancel ? (
        <Text color="red" bold wrap="truncate">
          {cell(`Cancel task ${p.task.name}? y cancels it, n or Esc keeps it.`, p.width)}
        </Text>
      ) : (
        <Text dimColor wrap="truncate">
          {cell(`${canPause} · r rerun · c cancel · Esc back${rows.length > room ? ` · ↑↓ scroll (${first + 1}-${Math.min(rows.length, first + room)} of ${rows.length})` : ''}`, p.width)}
        </Text>
      )}
    </Box>
  )
}
