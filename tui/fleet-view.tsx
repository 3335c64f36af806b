/**
 * Fleet: totals over all tasks at the top, then every agent with its state, load, throughput (with a
 * sparkline of its recent heartbeats, or how many ledger records it is still catching up on) and when it
 * was last heard from — or, for an online agent outside its group's work window (`off-peak`), when it may
 * work next (UTC).
 */
import React from 'react'
import { Box, Text } from 'ink'
import type { AgentView, FleetSnapshot } from '../protocol/views.ts'
import { TASK_STATUSES } from '../protocol/views.ts'
import { cell, formatAgo, formatBytes, formatDuration, formatLeft, formatNext, formatRate, percent, sparkline } from './format.ts'
import { scrollTop, type FleetTotals } from './view-model.ts'

export interface FleetViewProps {
  snapshot: FleetSnapshot
  totals: FleetTotals
  width: number
  height: number
  cursor: number
  top: number
}

const STATE_COLOR: Record<AgentView['state'] | 'off-peak', string> = { online: 'green', offline: 'red', disabled: 'yellow', 'off-peak': 'blue' }

/** Online but outside its group's work window: it holds no work until `nextWork`. */
const offPeak = (a: AgentView): boolean => a.state === 'online' && a.window?.open === false
const STATUS_COLOR: Record<string, string> = {
  'in-progress': 'cyan',
  scanning: 'blue',
  queued: 'white',
  paused: 'yellow',
  completed: 'green',
  failed: 'red',
  cancelled: 'gray',
}

interface AgentColumns {
  name: number
  host: number
  group: number
  state: number
  load: number
  rate: number
  spark: number
  seen: number
}

export function agentColumns(width: number): AgentColumns {
  const state = 8
  const load = 5
  const rate = 9
  const seen = 9
  const gaps = 8
  const rest = Math.max(0, width - 2 - state - load - rate - seen - gaps)
  // The sparkline takes a quarter (8..30 cells); the name comes first, the host takes what is left.
  const spark = Math.max(8, Math.min(30, Math.floor(rest * 0.25)))
  const text = Math.max(0, rest - spark)
  const name = Math.max(8, Math.min(24, Math.floor(text * 0.4)))
  const group = Math.max(8, Math.min(16, Math.floor(text * 0.2)))
  const host = Math.max(0, text - name - group)
  return { name, host, group, state, load, rate, spark, seen }
}

/** Lines the totals block takes (the agents list gets the rest of the body). */
export const TOTALS_LINES = 5

const ACTIVE = ['in-progress', 'scanning', 'queued', 'paused'] as const
const ENDED = ['completed', 'failed', 'cancelled'] as const
const num = (n: number): string => n.toLocaleString('en-US')

export function FleetTotalsBlock({ totals, width }: { totals: FleetTotals; width: number }): React.ReactElement {
  const part = (s: (typeof TASK_STATUSES)[number], i: number): React.ReactElement => (
    <Text key={s}>
      {i > 0 ? '  ' : ''}
      <Text color={STATUS_COLOR[s]}>{s}</Text> {num(totals.byStatus[s])}
    </Text>
  )
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold>{cell(`Tasks ${num(totals.tasks)}`, 13)}</Text>
        {totals.tasks === 0 ? <Text dimColor>none yet: press a to add one, i to import</Text> : ACTIVE.map(part)}
      </Text>
      <Text wrap="truncate">
        {' '.repeat(13)}
        {totals.tasks === 0 ? '' : ENDED.map(part)}
      </Text>
      <Text wrap="truncate">
        <Text bold>Files</Text> {num(totals.filesDone)} of {num(totals.filesTotal)} {percent(totals.filesDone, totals.filesTotal)}
        {'   '}
        <Text bold>Bytes</Text> {formatBytes(totals.bytesDone)} of {formatBytes(totals.bytesTotal)}{' '}
        {percent(totals.bytesDone, totals.bytesTotal)}
        {totals.failedItems > 0 ? (
          <Text color="red">
            {'   '}failed items {num(totals.failedItems)}
          </Text>
        ) : null}
      </Text>
      <Text wrap="truncate">
        <Text bold>Throughput</Text> {formatRate(totals.throughput)}
        {'   '}
        <Text bold>Time left</Text> {formatLeft(totals.etaSeconds)}
        {'   '}
        <Text bold>Agents</Text> {totals.agentsOnline}/{totals.agents} online, {totals.running}/{totals.slots} slots busy
      </Text>
      <Text> </Text>
    </Box>
  )
}

/**
 * An agent whose ledger is behind says so where its sparkline goes (nothing runs while it catches up),
 * so a slow join reads as such and not as missing tasks: the longest wording that fits the cell.
 */
export function catchingUpText(records: number, width: number): string {
  const n = num(records)
  const options = [`catching up ${n} records`, `catching up ${n}`, `behind ${n}`, `↓${n}`]
  return options.find((o) => o.length <= width) ?? options.at(-1)!
}

function agentRow(a: AgentView, c: AgentColumns, now: string): string[] {
  const load = `${a.running}/${a.capacity}`
  const rate = a.state === 'online' ? formatRate(a.live?.throughput ?? 0) : '-'
  if (a.catchingUp) {
    // The rate and sparkline cells together: "behind 7,500" fits even at 80 columns.
    const both = c.rate + c.spark
    return [cell(a.name, c.name), cell(a.host, c.host), cell(a.group, c.group), cell(a.state, c.state), cell(load, c.load, true), '', cell(catchingUpText(a.catchingUp.records, both), both), cell(a.state === 'online' ? 'now' : formatAgo(a.lastSeen, now), c.seen, true)]
  }
  // An agent that claims nothing new says why where its recent throughput would be (the full text is
  // under the list while it is selected).
  const recent = a.waitingReason ? cell(a.waitingReason, c.spark) : sparkline(a.live?.history ?? [], c.spark)
  return [
    cell(a.name, c.name),
    cell(a.host, c.host),
    cell(a.group, c.group),
    cell(offPeak(a) ? 'off-peak' : a.state, c.state),
    cell(load, c.load, true),
    cell(rate, c.rate, true),
    recent,
    cell(offPeak(a) ? formatNext(a.nextWork ?? null, now) : a.state === 'online' ? 'now' : formatAgo(a.lastSeen, now), c.seen, true),
  ]
}

export function FleetView({ snapshot, totals, width, height, cursor, top }: FleetViewProps): React.ReactElement {
  const c = agentColumns(width)
  const why = snapshot.agents[cursor]?.waitingReason ?? null
  const listHeight = Math.max(1, height - TOTALS_LINES - 1 - (why ? 1 : 0))
  const first = scrollTop(top, cursor, listHeight, snapshot.agents.length)
  const visible = snapshot.agents.slice(first, first + listHeight)
  const head = ['  ' + cell('AGENT', c.name), cell('HOST', c.host), cell('GROUP', c.group), cell('STATE', c.state), cell('RUN', c.load, true), cell('RATE', c.rate, true), cell('RECENT', c.spark), cell('SEEN/WORK', c.seen, true)].join(' ')
  return (
    <Box flexDirection="column" width={width} height={height}>
      <FleetTotalsBlock totals={totals} width={width} />
      <Text bold wrap="truncate">
        {head}
      </Text>
      {snapshot.agents.length === 0 ? <Text dimColor>No agents known yet.</Text> : null}
      {visible.map((a, k) => {
        const i = first + k
        const cols = agentRow(a, c, snapshot.at)
        const selected = i === cursor
        return (
          <Text key={a.id} wrap="truncate" inverse={selected}>
            {selected ? '▶ ' : '  '}
            {cols.slice(0, 3).join(' ')} <Text color={STATE_COLOR[offPeak(a) ? 'off-peak' : a.state]}>{cols[3]}</Text> {cols.slice(4, 6).join(' ')}{' '}
            <Text color={a.catchingUp || a.waitingReason ? 'yellow' : 'cyan'}>{cols[6]}</Text> {cols[7]}
          </Text>
        )
      })}
      {why ? (
        <Text color="yellow" wrap="truncate">
          {cell(`${snapshot.agents[cursor]!.name} ${why}`, width)}
        </Text>
      ) : null}
    </Box>
  )
}
