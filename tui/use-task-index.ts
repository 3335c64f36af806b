/**
 * The Tasks view's data side: the sorted order (redone only when the task list or the sort changes, and
 * for live-number sorts when live numbers change), the filtered order (redone when the filter changes),
 * and the cursor resolved to the selected task id so the selection stays put while rows re-sort.
 */
import { useEffect, useMemo, useRef } from 'react'
import type { FleetSnapshot, TaskView } from '../protocol/views.ts'
import { filterOrder, haystacksFor, sortOrder, sortUsesLive, type SortSpec, type TaskFilter } from './view-model.ts'

export interface TasksNav {
  cursor: number
  top: number
  selectedId: string | null
}

export const START_NAV: TasksNav = { cursor: 0, top: 0, selectedId: null }

/** Id → name of the agents, rebuilt only when a name or the set of agents changes (not per heartbeat). */
export function useAgentNames(snapshot: FleetSnapshot): Map<string, string> {
  const sig = snapshot.agents.map((a) => `${a.id}\u0000${a.name}`).join('\u0001')
  // eslint-disable-next-line react-hooks/exhaustive-deps
  return useMemo(() => new Map(snapshot.agents.map((a) => [a.id, a.name])), [sig])
}

const NO_ROWS = new Int32Array(0)

/**
 * The filtered, sorted order. While `enabled` is false (the Fleet view is open) nothing is computed, so
 * data updates cost no sorting there; the order is made again when the Tasks view opens.
 */
export function useTaskOrder(snapshot: FleetSnapshot, agentNames: Map<string, string>, sort: SortSpec, filter: TaskFilter, enabled = true): Int32Array {
  const { tasks, live } = snapshot
  const liveDep = sortUsesLive(sort.key) ? live : null
  const namesDep = sort.key === 'agent' ? agentNames : null
  const sorted = useMemo(
    () => (enabled ? sortOrder(tasks, live, agentNames, sort) : NO_ROWS),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [enabled, tasks, liveDep, namesDep, sort.key, sort.desc],
  )
  const last = useRef<{ sorted: Int32Array; filter: TaskFilter; result: Int32Array } | null>(null)
  return useMemo(() => {
    if (!enabled) return NO_ROWS
    const prev = last.current
    // Typing one more character can only narrow the matches: filter the previous matches, not all tasks.
    const narrowing =
      prev !== null &&
      prev.sorted === sorted &&
      prev.filter.status === filter.status &&
      prev.filter.text.trim() !== '' &&
      filter.text.startsWith(prev.filter.text) &&
      !filter.text.includes(':')
    const result = filterOrder(narrowing ? prev.result : sorted, tasks, agentNames, filter)
    last.current = { sorted, filter, result }
    return result
  }, [enabled, sorted, tasks, agentNames, filter])
}

/** Builds the filter's search text in the background once the filter line opens, before the first key. */
export function useWarmFilter(snapshot: FleetSnapshot, agentNames: Map<string, string>, active: boolean): void {
  const { tasks } = snapshot
  useEffect(() => {
    if (!active) return
    const t = setTimeout(() => haystacksFor(tasks), 0)
    return () => clearTimeout(t)
  }, [active, tasks, agentNames])
}

/** The cursor row for `nav` in `order`: where the selected task is now, else the old row (clamped). */
export function resolveCursor(tasks: readonly TaskView[], order: Int32Array, nav: TasksNav): number {
  const clamped = Math.max(0, Math.min(nav.cursor, order.length - 1))
  if (!nav.selectedId || order.length === 0) return clamped
  // The common case (nothing re-sorted under the cursor) is one lookup; the scan runs after data changes.
  if (tasks[order[clamped]!]?.id === nav.selectedId) return clamped
  for (let j = 0; j < order.length; j++) if (tasks[order[j]!]!.id === nav.selectedId) return j
  return clamped
}

export function useCursor(snapshot: FleetSnapshot, order: Int32Array, nav: TasksNav): number {
  const { tasks } = snapshot
  return useMemo(() => resolveCursor(tasks, order, nav), [tasks, order, nav])
}
