/**
 * Tasks: a table of the filtered, sorted tasks. Only the rows on screen are built, from the precomputed
 * order (an Int32Array of indexes), so a key press costs the same with 50 or 50,000 tasks.
 */
import React from 'react'
import { Box, Text } from 'ink'
import type { FleetSnapshot, TaskStatus } from '../protocol/views.ts'
import { bar, cell, cellTail, destinationText, formatLeft, formatBytes, percent } from './format.ts'
import { isLowerBound, taskSecondsLeft } from '../protocol/time-left.ts'
import { compactCount, parseFilter, taskProgress, type SortSpec, type TaskFilter } from './view-model.ts'
import { TextField } from './text-field.tsx'

export const STATUS_COLOR: Record<TaskStatus, string> = {
  'in-progress': 'cyan',
  scanning: 'blue',
  queued: 'white',
  scheduled: 'magenta',
  paused: 'yellow',
  completed: 'green',
  failed: 'red',
  cancelled: 'gray',
}

export interface TaskColumns {
  name: number
  route: number
  status: number
  agent: number
  bar: number
  files: number
  rate: number
  eta: number
}

/** Column widths for a terminal `width` wide; the route column appears only when there is room for it. */
export function taskColumns(width: number): TaskColumns {
  const wide = width >= 110
  const status = 11
  const agent = wide ? 12 : 7
  const barW = wide ? 10 : 5
  const files = 11
  const rate = 9
  const eta = 7
  const fixed = 2 + status + agent + barW + 5 + files + rate + eta + 7
  const rest = Math.max(8, width - fixed)
  if (!wide) return { name: rest, route: 0, status, agent, bar: barW, files, rate, eta }
  const name = Math.max(12, Math.min(32, Math.floor(rest * 0.3)))
  return { name, route: rest - name - 1, status, agent, bar: barW, files, rate, eta }
}

/** "source → destination" in `width` cells; when too long each side keeps its end (where paths differ). */
export function routeCell(source: string, dest: string, width: number): string {
  const full = `${source} → ${dest}`
  if (full.length <= width) return full.padEnd(width)
  const src = Math.max(1, Math.floor((width - 3) * 0.45))
  const dst = Math.max(1, width - 3 - src)
  return `${cellTail(source, src).trimEnd()} → ${cellTail(dest, dst)}`.padEnd(width).slice(0, width)
}

/** The LEFT cell: `≥` while the holder's walk still finds items (the estimate covers what it found). */
function leftCell(t: FleetSnapshot['tasks'][number], live: FleetSnapshot['live'][string] | undefined, nowMs: number): string {
  const s = taskSecondsLeft(t, live, nowMs)
  return s !== null && isLowerBound(live) ? `≥${formatLeft(s)}` : formatLeft(s)
}

export interface TasksViewProps {
  snapshot: FleetSnapshot
  order: Int32Array
  agentNames: ReadonlyMap<string, string>
  width: number
  height: number
  cursor: number
  top: number
  sort: SortSpec
  filter: TaskFilter
  /** The filter line is open for typing. */
  filtering: boolean
  onFilterText(update: (prev: string) => string): void
}

/** Rows the table body has in `height` lines (title, column heads, selected-route line and filter line). */
export function taskRowsFor(height: number): number {
  return Math.max(1, height - 4)
}

export function TasksView(p: TasksViewProps): React.ReactElement {
  const c = taskColumns(p.width)
  const rows = taskRowsFor(p.height)
  const tasks = p.snapshot.tasks
  const nowMs = Date.parse(p.snapshot.at)
  const count = p.order.length
  const visible: number[] = []
  for (let j = p.top; j < Math.min(count, p.top + rows); j++) visible.push(p.order[j]!)
  const selected = count > 0 ? tasks[p.order[p.cursor] ?? -1] : undefined
  const parsed = parseFilter(p.filter)
  const filterBits = [p.filter.status ? `status ${p.filter.status}` : '', p.filter.text.trim() ? `"${p.filter.text.trim()}"` : ''].filter(Boolean).join(' + ')
  const title = `Tasks ${count === tasks.length ? count : `${count} of ${tasks.length}`} · sort ${p.sort.key} ${p.sort.desc ? '↓' : '↑'}${filterBits ? ` · filter ${filterBits}` : ''}`
  const head = [
    '  ' + cell('NAME', c.name),
    c.route > 0 ? cell('SOURCE → DESTINATION', c.route) : null,
    cell('STATUS', c.status),
    cell('AGENT', c.agent),
    cell('PROGRESS', c.bar + 5),
    cell('FILES', c.files, true),
    cell('RATE', c.rate, true),
    cell('LEFT', c.eta, true),
  ]
    .filter((x) => x !== null)
    .join(' ')
  return (
    <Box flexDirection="column" width={p.width} height={p.height}>
      <Text bold wrap="truncate">
        {cell(title, p.width)}
      </Text>
      <Text bold wrap="truncate">
        {head}
      </Text>
      <Box flexDirection="column" height={rows}>
        {count === 0 ? <Text dimColor>{tasks.length === 0 ? 'No tasks yet: press a to add one, i to import a CSV or JSON file.' : 'No task matches the filter (Esc in the filter line clears it).'}</Text> : null}
        {visible.map((i, k) => {
          const t = tasks[i]!
          const pr = taskProgress(t, p.snapshot.live[t.id])
          const isSel = p.top + k === p.cursor
          const agent = t.agent ? (p.agentNames.get(t.agent) ?? t.agent) : '-'
          const route = c.route > 0 ? routeCell(t.source, destinationText(t.destination), c.route) + ' ' : ''
          const running = t.status === 'in-progress' || t.status === 'scanning'
          return (
            <Text key={t.id} wrap="truncate" inverse={isSel}>
              {isSel ? '▶ ' : '  '}
              {cell(t.name, c.name)} {route}
              <Text color={STATUS_COLOR[t.status]}>{cell(t.status, c.status)}</Text> {cell(agent, c.agent)}{' '}
              <Text color="cyan">{bar(pr.fraction, c.bar)}</Text>
              {cell(pr.bytesTotal > 0 || pr.filesTotal > 0 ? percent(pr.bytesTotal > 0 ? pr.bytesDone : pr.filesDone, pr.bytesTotal > 0 ? pr.bytesTotal : pr.filesTotal) : '', 5, true)}{' '}
              {cell(`${compactCount(pr.filesDone)}/${compactCount(pr.filesTotal)}`, c.files, true)} {cell(running && pr.throughput > 0 ? `${formatBytes(pr.throughput).replace(' ', '')}/s` : '-', c.rate, true)}{' '}
              {cell(running ? leftCell(t, p.snapshot.live[t.id], nowMs) : '-', c.eta, true)}
            </Text>
          )
        })}
      </Box>
      <Text wrap="truncate" dimColor>
        {selected ? cellTail(`${selected.source} → ${destinationText(selected.destination)}`, p.width) : ' '}
      </Text>
      {p.filtering ? (
        <Text wrap="truncate">
          <Text bold color="cyan">/</Text>
          <TextField value={p.filter.text} onChange={p.onFilterText} focus width={p.width - 2} placeholder="text or status:failed tag:T group:G archived" />
        </Text>
      ) : parsed.unknown.length > 0 ? (
        <Text color="red" wrap="truncate">
          {cell(`unknown status in filter: ${parsed.unknown.join(' ')} (statuses: queued scanning in-progress paused completed failed cancelled)`, p.width)}
        </Text>
      ) : (
        <Text> </Text>
      )}
    </Box>
  )
}
