/**
 * Tasks a large ledger change brought (a 10,000-task import from a peer, or everything a fresh agent
 * pulled before its scheduler started), checked in fixed-size slices before the scheduler looks at
 * them: each slice's records are checked by Ledger.checkAhead (signatures verified on worker threads
 * when the agent has them), then handed to `done`. Reading them one by one instead would verify every
 * signature inside one ledger event, holding the event loop for seconds (control requests, heartbeats
 * and replication waiting). A task not yet handed over is simply not open yet: nothing claims it.
 */

export interface CheckQueue {
  add(ids: Iterable<string>): void
  /** Tasks queued or being checked (what this agent counts as catching up). */
  size(): number
  stop(): void
}

export interface CheckQueueOptions {
  /** tasks per slice: ~3 ms of preparation here, ~30 ms of verification in a worker */
  slice?: number
  /** slices out at once: enough to keep two workers busy while the next slice is prepared */
  inFlight?: number
}

export function createCheckQueue(check: (ids: string[]) => Promise<void>, done: (ids: string[]) => void, opts: CheckQueueOptions = {}): CheckQueue {
  const slice = opts.slice ?? 256
  const maxInFlight = opts.inFlight ?? 4
  const queued = new Set<string>()
  let inFlight = 0
  let inFlightIds = 0
  let scheduled: NodeJS.Immediate | null = null
  let stopped = false

  const schedule = () => {
    if (!scheduled && !stopped && queued.size > 0) scheduled = setImmediate(pump)
  }

  // One slice prepared per turn of the event loop, so a turn costs milliseconds however long the queue.
  function pump(): void {
    scheduled = null
    if (stopped || inFlight >= maxInFlight) return
    const ids: string[] = []
    for (const id of queued) {
      ids.push(id)
      queued.delete(id)
      if (ids.length >= slice) break
    }
    if (ids.length === 0) return
    inFlight++
    inFlightIds += ids.length
    check(ids)
      .catch(() => {}) // what the check left unchecked is checked when read
      .then(() => {
        if (!stopped) done(ids)
      })
      .finally(() => {
        inFlight--
        inFlightIds -= ids.length
        schedule()
      })
    schedule()
  }

  return {
    add(ids) {
      for (const id of ids) queued.add(id)
      schedule()
    },
    size: () => queued.size + inFlightIds,
    stop() {
      stopped = true
      if (scheduled) clearImmediate(scheduled)
      scheduled = null
    },
  }
}
