/**
 * The latest failed items of a task's current round, for `task show` and the fleet view's task detail
 * (TaskView.recentFailures). They come from this agent's item store (the rounds it ran and the ones
 * replicated to it), else from the agent that holds them (fleetRecentFailures). A round can hold
 * millions of items and only the store knows which failed, so the walk is bounded: it stops once it has
 * every failure the counts announce, or after SCAN_LIMIT records.
 */
import type { TaskView } from '../../protocol/views.ts'
import type { ItemRecord } from '../../protocol/items.ts'
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

/**
 * The newest failed records of a round in this agent's store (at most `keep`), or null when it holds none.
 * `failed`: how many the counts announce, so the walk can stop once it has them all.
 */
export async function latestFailedRecords(
  items: ItemStore, taskId: string, round: number, failed: number, limits: { scan?: number; keep?: number } = {},
): Promise<ItemRecord[] | null> {
  if (failed <= 0) return null
  const want = Math.min(failed, GATHER)
  const scanLimit = limits.scan ?? SCAN_LIMIT
  const found: ItemRecord[] = []
  let scanned = 0
  for await (const r of items.iterate(taskId, round)) {
    if (r.status === 'Failed') found.push(r)
    if (found.length >= want || ++scanned >= scanLimit) break
  }
  if (found.length === 0) return null
  found.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
  return found.slice(0, limits.keep ?? RECENT_FAILURES)
}

export const toRecentFailures = (records: readonly ItemRecord[], taskSource: string): RecentFailure[] =>
  records.map((r) => ({ item: itemPath(r.source, taskSource), message: r.message }))

/** Null when this agent holds no failed item of the round (none failed, or not stored here). */
export async function recentFailures(
  items: ItemStore,
  task: Pick<TaskView, 'id' | 'round' | 'source' | 'counts'>,
  limits: { scan?: number; keep?: number } = {},
): Promise<RecentFailure[] | null> {
  const found = await latestFailedRecords(items, task.id, task.round, task.counts.failed, limits)
  return found ? toRecentFailures(found, task.source) : null
}

export interface FleetFailuresDeps {
  self: string
  items: ItemStore
  /** the newest failed records a peer holds (items-sync `failures`); throws when it cannot answer */
  askPeer(peer: string, taskId: string, round: number, failed: number): Promise<ItemRecord[]>
}

/**
 * The round's latest failures wherever the fleet holds them: this agent's store first, else the agent
 * running the round (its store has them as they happen) and the agents holding copies of an ended one.
 * Without this, the fleet view attached to any other agent showed none.
 */
export async function fleetRecentFailures(
  deps: FleetFailuresDeps,
  task: Pick<TaskView, 'id' | 'round' | 'source' | 'counts' | 'agent' | 'itemHolders'>,
): Promise<RecentFailure[] | null> {
  const local = await recentFailures(deps.items, task)
  if (local || task.counts.failed <= 0) return local
  const peers = [...new Set([task.agent, ...(task.itemHolders[task.round] ?? [])])].filter((p): p is string => !!p && p !== deps.self)
  for (const peer of peers) {
    try {
      const got = await deps.askPeer(peer, task.id, task.round, task.counts.failed)
      if (got.length > 0) return toRecentFailures(got.slice(0, RECENT_FAILURES), task.source)
    } catch {
      // an older agent, or one gone: the next holder may answer
    }
  }
  return null
}
