/**
 * The latest failed items of a task's current round, for `task show` and the fleet view's task detail
 * (TaskView.recentFailures). They come from this agent's item store: it holds the rounds it ran and the
 * ones replicated to it, so another agent's answer may have none ("when known"). A round can hold
 * millions of items and only the store knows which failed, so the walk is bounded: it stops once it has
 * every failure the counts announce, or after SCAN_LIMIT records.
 */
import type { TaskView } from '../../protocol/views.ts'
import type { ItemStore } from './store.ts'

export const RECENT_FAILURES = 10
/** Records read at most for one answer: a fraction of a second of level reads. */
const SCAN_LIMIT = 200_000
/** Failures gathered before the newest are picked: enough for a fair "latest", bounded in memory. */
const GATHER = 1_000

export type RecentFailure = { item: string; message: string }

/** The item's path under the task's source, as the report names it; the full source when it is not below. */
function itemPath(source: string, taskSource: string): string {
  const base = taskSource.replace(/[\\/]+$/, '')
  const sep = source.charAt(base.length)
  return source.startsWith(base) && (sep === '/' || sep === '\\') && source.length > base.length + 1 ? source.slice(base.length + 1) : source
}

/** Null when this agent holds no failed item of the round (none failed, or not stored here). */
export async function recentFailures(
  items: ItemStore,
  task: Pick<TaskView, 'id' | 'round' | 'source' | 'counts'>,
  limits: { scan?: number; keep?: number } = {},
): Promise<RecentFailure[] | null> {
  if (task.counts.failed <= 0) return null
  const want = Math.min(task.counts.failed, GATHER)
  const scanLimit = limits.scan ?? SCAN_LIMIT
  const found: { at: string; item: string; message: string }[] = []
  let scanned = 0
  for await (const r of items.iterate(task.id, task.round)) {
    if (r.status === 'Failed') found.push({ at: r.at, item: itemPath(r.source, task.source), message: r.message })
    if (found.length >= want || ++scanned >= scanLimit) break
  }
  if (found.length === 0) return null
  found.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
  return found.slice(0, limits.keep ?? RECENT_FAILURES).map(({ item, message }) => ({ item, message }))
}
