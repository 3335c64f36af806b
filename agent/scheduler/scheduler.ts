/**
 * The lease scheduler: claims free tasks this agent can run, takes over tasks whose holder went silent,
 * runs them through the engine, and lets go when the ledger says so (pause, cancel, rerun, a higher
 * epoch, the agent disabled). The rules themselves are pure functions in protocol/lease.ts; this module
 * applies them to the live ledger and presence on a timer and on every ledger change. It holds the pass
 * and the state its pieces share; the pieces: open-tasks.ts (ledger changes), claim-choice.ts (what to
 * claim), settle.ts (when a claim may start), job-lifecycle.ts (running tasks), candidates.ts (who ranks).
 */
import { effectiveSpec, foldAgentEnabled } from '../../protocol/intent.ts'
import type { TaskSpec } from '../../protocol/records.ts'
import { effectiveSettings, type Settings } from '../../protocol/settings.ts'
import { DEFAULT_SCHEDULER_OPTIONS, type PeerView, type SchedulerDeps, type SchedulerOptions } from './types.ts'
import { createJobLifecycle } from './job-lifecycle.ts'
import type { WindowState } from '../../protocol/work-window.ts'
import { windowBlocked } from './window-gate.ts'
import { settleClaims as settlePending, type PendingClaim } from './settle.ts'
import { createOpenTasks } from './open-tasks.ts'
import { createClaimChoice } from './claim-choice.ts'
import { liveView as liveAgents } from './candidates.ts'

const ALWAYS_OPEN: WindowState = { open: true, next: null }

export interface Scheduler {
  start(): void
  stop(): Promise<void>
  /** Task ids this agent works on now (running or settling a claim). */
  held(): string[]
  /** Reasons this agent cannot run some queued tasks (also published in its heartbeat). */
  blocked(): Record<string, string>
}

const BLOCKED_LIMIT = 200
const MIN_TICK_GAP_MS = 50

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const opts: SchedulerOptions = { ...DEFAULT_SCHEDULER_OPTIONS, ...deps.options }
  const { ledger, self, clock, logger } = deps
  const pending = new Map<string, PendingClaim>()
  const blocked = new Map<string, string>()
  /** Tasks whose current round has not ended: the only ones worth looking at. */
  const openTasks = createOpenTasks(
    ledger,
    (taskId) => {
      claimChoice.forget(taskId)
      blocked.delete(taskId)
    },
    () => scheduleFull(),
  )
  const { open } = openTasks
  /**
   * Tasks a ledger change touched since the last pass, and whether the next pass must look at every open
   * task. A pass over every open task costs a ranking per free task (1,000 queued tasks at 30 agents:
   * 30,000 rendezvous scores), and under churn passes run every MIN_TICK_GAP_MS, so a pass that a ledger
   * change brings looks at the tasks it touched only. What changes without touching a task — time (rank
   * delays, a holder's silence, a start time, the work window), peers' heartbeats, our own load going
   * down, commands that are not a task's — is seen by a full pass: every tickMs, and at once when our
   * load went down or a command or agent record changed.
   */
  const touched = new Set<string>()
  let fullDue = true
  let loadAfterPass = Number.POSITIVE_INFINITY
  let timer: NodeJS.Timeout | null = null
  let scheduled: NodeJS.Immediate | null = null
  let stopping = false
  let publishedRunning = 0
  /** why this agent claims nothing new (disk guard), as of the last pass */
  let notClaiming: string | null = null
  let unsubscribe: (() => void) | null = null
  let startedAt = 0
  // The fleet may move this agent to another group or change its capacity (`agent set`): read each pass.
  const group = (): string => deps.profile?.().group ?? deps.group
  const capacity = (): number => deps.profile?.().capacity ?? deps.capacity
  const windowNow = (): WindowState => deps.workWindow?.() ?? ALWAYS_OPEN

  /** The task as `task edit` left it (group, start time, settings): what runs is the edited task. */
  function specOf(taskId: string): TaskSpec | undefined {
    const spec = ledger.task(taskId)
    return spec && effectiveSpec(spec, ledger.commandsFor(taskId))
  }

  function onLedgerChange(change: { map: string; keys: string[] }): void {
    const ids = openTasks.onChange(change)
    if (ids === null || change.map === 'commands' || change.map === 'agents') fullDue = true
    else for (const id of ids) touched.add(id)
    schedule()
  }

  function scheduleFull(): void {
    fullDue = true
    schedule()
  }

  let lastTick = 0
  let delayed: NodeJS.Timeout | null = null

  /**
   * Runs a pass soon. Ledger changes arrive in bursts (hundreds per second while a fleet claims an
   * import); passes are coalesced to one per MIN_TICK_GAP_MS so the event loop stays free for
   * heartbeats and replication.
   */
  function schedule(): void {
    if (stopping || scheduled || delayed) return
    const wait = lastTick + MIN_TICK_GAP_MS - clock.now()
    const run = () => {
      scheduled = null
      delayed = null
      lastTick = clock.now()
      try {
        tick()
      } catch (err) {
        logger.error({ err }, 'scheduler tick failed')
      }
    }
    if (wait > 0) {
      delayed = setTimeout(run, wait)
      delayed.unref()
    } else scheduled = setImmediate(run)
  }

  function settingsFor(spec: TaskSpec): Settings {
    return effectiveSettings(openTasks.settings(), spec.settings)
  }

  function enabledAgent(id: string): boolean {
    return foldAgentEnabled(ledger.commandsFor(id))
  }

  function load(): number {
    return jobs.size + pending.size
  }

  function publish(): void {
    const tasks = [...jobs.values()].map((r) => ({
      taskId: r.job.taskId,
      round: r.job.round,
      epoch: r.job.epoch,
      phase: r.last.phase,
      throughput: r.last.throughput,
      bytesDone: r.last.bytes.migrated,
      bytesTotal: r.last.bytes.total,
      filesDone: r.last.counts.migrated + r.last.counts.unchanged + r.last.counts.failed,
      filesTotal: r.last.counts.toMigrate,
      walked: r.last.walked === true,
    }))
    const throughput = tasks.reduce((s, t) => s + t.throughput, 0)
    publishedRunning = load()
    deps.presence.publish({ running: publishedRunning, tasks, throughput, blocked: Object.fromEntries([...blocked, ...outsideWindow()].slice(0, BLOCKED_LIMIT)), notClaiming: notClaiming ?? undefined })
  }

  const outsideWindow = (): [string, string][] =>
    windowBlocked(windowNow(), group(), open, (id) => ledger.task(id)?.group, (id) => jobs.has(id), BLOCKED_LIMIT)

  function tick(): void {
    if (stopping) return
    const now = clock.now()
    const enabled = enabledAgent(self)
    notClaiming = deps.claimBlock?.() ?? null
    const win = windowNow()
    superviseJobs(enabled, win.open)
    settleClaims(now, win.open)
    const full = fullDue || load() < loadAfterPass
    fullDue = false
    if (enabled && win.open) findWork(now, full ? undefined : [...touched])
    touched.clear()
    loadAfterPass = load()
    publish()
  }

  /** Live agents that may claim too, this one as it last published itself (candidates.ts). */
  function liveView(): PeerView[] {
    return liveAgents(deps.presence, deps.leaseTtlMs, enabledAgent, self, () => ({
      id: self, group: group(), capacity: capacity(), running: publishedRunning, blocked: {}, enabled: true, ...(notClaiming !== null ? { notClaiming } : {}),
    }))
  }

  function releaseClaim(taskId: string, epoch: number, round: number): void {
    const mine = ledger.claimsFor(taskId).find((c) => c.agent === self)
    if (!mine || mine.released || mine.epoch !== epoch) return
    ledger.putClaim(deps.signer, { taskId, agent: self, epoch, round, at: clock.wall().toISOString(), released: true })
  }

  const lifecycle = createJobLifecycle(deps, opts, {
    releaseClaim,
    schedule: scheduleFull,
    block: (taskId, reason) => blocked.set(taskId, reason),
    settingsFor,
  })
  const { jobs, requestStop, supervise: superviseJobs } = lifecycle
  const startJob = lifecycle.start
  const settleDeps = { agent: deps, pending, specOf, liveView, releaseClaim, startJob }
  const settleClaims = (now: number, inWindow: boolean) => settlePending(settleDeps, now, inWindow)
  const claimChoice = createClaimChoice({
    agent: deps, opts, open, pending, blocked, specOf, group, capacity, load, liveView, startJob, schedule: scheduleFull,
    running: (taskId) => jobs.has(taskId),
    inWindow: () => windowNow().open,
    notClaiming: () => notClaiming,
    startedAt: () => startedAt,
    stopping: () => stopping,
  })
  const { findWork } = claimChoice

  return {
    start() {
      startedAt = clock.now()
      openTasks.readAll()
      unsubscribe = ledger.onChange(onLedgerChange)
      timer = setInterval(scheduleFull, opts.tickMs)
      timer.unref()
      schedule()
    },
    async stop() {
      stopping = true
      unsubscribe?.()
      openTasks.stop()
      if (timer) clearInterval(timer)
      if (scheduled) clearImmediate(scheduled)
      if (delayed) clearTimeout(delayed)
      const held = [...jobs.values()].map((r) => ({ taskId: r.job.taskId, epoch: r.job.epoch, round: r.job.round }))
      for (const r of jobs.values()) if (!r.stop) requestStop(r, 'agent stopping', true)
      const all = [...jobs.values()].map((r) => r.done)
      // Each aborted job releases its own claim as it ends (with its progress). The wait is bounded well
      // inside the lease TTL: a stop (systemd's SIGTERM) must end before peers would take over anyway.
      const waitMs = Math.min(10_000, deps.leaseTtlMs / 3)
      await Promise.race([Promise.all(all), new Promise((res) => setTimeout(res, waitMs).unref())])
      // A job that has not ended by then (a hung share or request) loses its lease all the same: the
      // engine checks the lease before every commit, so nothing lands after this release.
      for (const r of jobs.values()) releaseClaim(r.job.taskId, r.job.epoch, r.job.round)
      for (const pc of pending.values()) releaseClaim(pc.taskId, pc.epoch, pc.round)
      const released = [...held, ...pending.values()].filter((h) => ledger.claimsFor(h.taskId).some((c) => c.agent === self && c.epoch === h.epoch && c.released))
      pending.clear()
      if (released.length > 0) logger.info({ tasks: released.map((h) => h.taskId) }, 'released leases')
    },
    held: () => [...jobs.keys(), ...pending.keys()],
    blocked: () => Object.fromEntries([...blocked, ...outsideWindow()]),
  }
}
