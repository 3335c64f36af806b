/**
 * The lease scheduler: claims free tasks this agent can run, takes over tasks whose holder went silent,
 * runs them through the engine, and lets go when the ledger says so (pause, cancel, rerun, a higher
 * epoch, the agent disabled). The rules themselves are pure functions in protocol/lease.ts; this module
 * applies them to the live ledger and presence on a timer and on every ledger change.
 */
import { effectiveSpec, foldAgentEnabled, foldSettings, foldTaskIntent } from '../../protocol/intent.ts'
import { claimDelayMs, claimRank, currentHolder, holderExpired, nextEpoch, stillWins, type Candidate } from '../../protocol/lease.ts'
import type { ClaimRecord, TaskSpec } from '../../protocol/records.ts'
import { effectiveSettings, type Settings } from '../../protocol/settings.ts'
import { roundOutcome } from '../../protocol/status.ts'
import { DEFAULT_SCHEDULER_OPTIONS, type PeerView, type SchedulerDeps, type SchedulerOptions } from './types.ts'
import { createJobLifecycle } from './job-lifecycle.ts'
import type { WindowState } from '../../protocol/work-window.ts'
import { windowBlocked } from './window-gate.ts'

const ALWAYS_OPEN: WindowState = { open: true, next: null }

interface PendingClaim {
  taskId: string
  epoch: number
  round: number
  settleUntil: number
  /** Our document clock right after the claim: peers that report at least this have seen it. */
  clock: number
  /** After this, proceed even if some live peer never confirmed (it may be stalled). */
  deadline: number
  /** Per peer, its state vector from the first heartbeat that showed it had seen this claim. */
  seen: Map<string, ReadonlyMap<number, number>>
}

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
  const freeSince = new Map<string, number>()
  /** When this agent first saw the current holder's claim of each task (its own monotonic clock). */
  const claimSeen = new Map<string, { holder: string; at: number }>()
  const probing = new Set<string>()
  const blocked = new Map<string, string>()
  /** Tasks whose current round has not ended: the only ones worth looking at. */
  const open = new Set<string>()
  let globals: Settings = foldSettings(ledger.commands())
  let timer: NodeJS.Timeout | null = null
  let scheduled: NodeJS.Immediate | null = null
  let stopping = false
  let publishedRunning = 0
  /** why this agent claims nothing new (disk guard), as of the last pass */
  let notClaiming: string | null = null
  let unsubscribe: (() => void) | null = null
  // The fleet may move this agent to another group or change its capacity (`agent set`): read each pass.
  const group = (): string => deps.profile?.().group ?? deps.group
  const capacity = (): number => deps.profile?.().capacity ?? deps.capacity
  const windowNow = (): WindowState => deps.workWindow?.() ?? ALWAYS_OPEN

  /** The task as `task edit` left it (group, start time, settings): what runs is the edited task. */
  function specOf(taskId: string): TaskSpec | undefined {
    const spec = ledger.task(taskId)
    return spec && effectiveSpec(spec, ledger.commandsFor(taskId))
  }

  function refreshOpen(taskId: string): void {
    const spec = ledger.task(taskId)
    if (!spec) return void open.delete(taskId)
    const intent = foldTaskIntent(ledger.commandsFor(taskId))
    const outcome = roundOutcome(ledger.outcomesFor(taskId), intent.round)
    const ended = outcome?.phase === 'completed' || outcome?.phase === 'failed'
    if (ended || intent.cancelled || intent.deleted) {
      open.delete(taskId)
      claimSeen.delete(taskId)
      freeSince.delete(taskId)
      blocked.delete(taskId)
    } else open.add(taskId)
  }

  function onLedgerChange(change: { map: string; keys: string[] }): void {
    if (change.map === 'commands') globals = foldSettings(ledger.commands())
    const ids = new Set<string>()
    for (const key of change.keys) {
      if (change.map === 'tasks') ids.add(key)
      else if (change.map === 'claims' || change.map === 'outcomes') ids.add(key.split('/')[0]!)
      else if (change.map === 'commands') {
        const cmd = ledger.command(key)
        if (cmd?.kind.startsWith('task.')) ids.add(cmd.target)
      }
    }
    for (const id of ids) refreshOpen(id)
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
    return effectiveSettings(globals, spec.settings)
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
    if (enabled && win.open) findWork(now)
    publish()
  }

  function superviseJobs(enabled: boolean, inWindow: boolean): void {
    for (const r of jobs.values()) {
      // A job finishing its files in flight (the window closed) still stops at once for a pause or a cancel.
      if (r.stop && !r.stop.drain) continue
      const intent = foldTaskIntent(ledger.commandsFor(r.job.taskId))
      if (intent.cancelled) requestStop(r, 'task cancelled', true)
      else if (intent.deleted) requestStop(r, 'task deleted', true)
      else if (intent.paused) requestStop(r, 'task paused', true)
      else if (intent.round !== r.job.round) requestStop(r, 'task rerun', true)
      else if (!stillWins(ledger.claimsFor(r.job.taskId), self, r.job.epoch, r.job.round)) requestStop(r, 'lease lost to a higher epoch', false)
      else if (!enabled) requestStop(r, 'agent disabled', true)
      else if (!inWindow && !r.stop) lifecycle.requestDrain(r, 'outside the work window')
    }
  }

  function settleClaims(now: number, inWindow: boolean): void {
    for (const pc of [...pending.values()]) {
      if (!inWindow) {
        // the window closed while we settled: nothing started, so nothing to pause; let it go
        pending.delete(pc.taskId)
        releaseClaim(pc.taskId, pc.epoch, pc.round)
        continue
      }
      if (now < pc.settleUntil) continue
      // Causal settle: wait until every live agent that could have claimed too has reported (in a
      // heartbeat) that it saw our claim, and we hold everything it had then; any claim it made before
      // seeing ours is then in our ledger, and none can come after. Bounded by a deadline.
      if (now < pc.deadline) {
        const spec0 = specOf(pc.taskId)
        const peers = spec0 ? candidatesFor(spec0, liveView(), self).filter((c) => c.agent !== self) : []
        if (!peers.every((c) => confirmed(pc, c.agent))) continue
      }
      pending.delete(pc.taskId)
      const claims = ledger.claimsFor(pc.taskId)
      const intent = foldTaskIntent(ledger.commandsFor(pc.taskId))
      const spec = specOf(pc.taskId)
      if (!spec || !stillWins(claims, self, pc.epoch, pc.round) || intent.cancelled || intent.paused || intent.round !== pc.round) {
        logger.debug({ task: pc.taskId }, 'claim lost or withdrawn after settle window')
        releaseClaim(pc.taskId, pc.epoch, pc.round)
        continue
      }
      startJob(spec, pc.round, pc.epoch)
    }
  }

  /**
   * Who may claim a task, ranked from heartbeat data only (our own load as last published, not as it is
   * this instant): every agent then computes the same ranking, so only one of them claims at once.
   */
  function candidatesFor(spec: TaskSpec, live: readonly PeerView[], exclude: string | null): Candidate[] {
    const out: Candidate[] = []
    for (const p of live) {
      if (p.id === exclude || p.group !== spec.group || p.blocked[spec.id] !== undefined || !p.enabled || p.notClaiming !== undefined) continue
      out.push({ agent: p.id, running: p.running, capacity: Math.max(1, p.capacity) })
    }
    return out
  }

  /**
   * Agents that may be claiming too, self included with what it last published: everyone heard within
   * the lease TTL, not just within three heartbeats. Under load heartbeats arrive late; an agent that
   * briefly looked offline must still be ranked and still confirm our claims, or two agents each think
   * they are alone and both work.
   */
  function liveView(): PeerView[] {
    const live = deps.presence
      .liveAgents(deps.leaseTtlMs)
      .filter((p) => p.id !== self)
      .map((p) => ({ ...p, enabled: enabledAgent(p.id) }))
    live.push({ id: self, group: group(), capacity: capacity(), running: publishedRunning, blocked: {}, enabled: true, ...(notClaiming !== null ? { notClaiming } : {}) })
    return live
  }

  function findWork(now: number): void {
    if (load() >= capacity()) return
    let live: PeerView[] | null = null
    for (const taskId of open) {
      if (load() >= capacity()) return
      if (jobs.has(taskId) || pending.has(taskId)) continue
      const spec = specOf(taskId)
      if (!spec) continue
      const intent = foldTaskIntent(ledger.commandsFor(taskId))
      if (intent.cancelled || intent.paused) continue
      const claims = ledger.claimsFor(taskId)
      const holder = currentHolder(claims, intent.round)
      if (holder?.agent === self) {
        // Ours from before a restart (or a claim we made and forgot): carry on at the same epoch.
        startJob(spec, intent.round, holder.epoch)
        continue
      }
      // Low on disk: nothing new, neither a free task nor a takeover (peers leave us out of their ranking too).
      if (notClaiming !== null) continue
      if (spec.group !== group()) continue
      // Run later: nobody claims before the start time; the 500 ms tick starts it soon after (and the rank
      // delays count from then, so the agents do not all claim at once).
      if (spec.startAt !== undefined && !holder && Date.parse(spec.startAt) > clock.wall().getTime()) continue
      // A holder heard from recently is the common case: nothing to decide, and cheap to tell.
      if (holder) {
        seenAt(taskId, holder, now)
        const silent = deps.presence.silentForMs(holder.agent)
        if (silent !== undefined && silent < deps.leaseTtlMs) continue
      }
      const can = deps.canRun(spec)
      if (!can.ok) {
        blocked.set(taskId, can.reason)
        continue
      }
      blocked.delete(taskId)
      live ??= liveView()
      if (!holder) {
        const since = freeSince.get(taskId) ?? now
        freeSince.set(taskId, since)
        const rank = claimRank(taskId, self, candidatesFor(spec, live, null))
        if (rank < 0 || now - since < claimDelayMs(rank, opts.rankStepMs)) continue
        claim(taskId, claims, intent.round, now)
      } else {
        considerTakeover(spec, holder, claims, intent.round, now, live)
      }
    }
  }

  function seenAt(taskId: string, holder: ClaimRecord, now: number): number {
    const id = `${holder.agent}/${holder.epoch}`
    const s = claimSeen.get(taskId)
    if (s && s.holder === id) return s.at
    claimSeen.set(taskId, { holder: id, at: now })
    return now
  }

  function considerTakeover(spec: TaskSpec, holder: ClaimRecord, claims: ClaimRecord[], round: number, now: number, live: PeerView[]): void {
    const seen = seenAt(spec.id, holder, now)
    const silent = deps.presence.silentForMs(holder.agent)
    if (!holderExpired({ silentForMs: silent, claimSeenForMs: now - seen }, deps.leaseTtlMs)) return
    // Only the best-ranked live agent takes over at once; the others wait their turn.
    const rank = claimRank(spec.id, self, candidatesFor(spec, live, holder.agent))
    const expiredFor = now - seen - deps.leaseTtlMs
    if (rank < 0 || expiredFor < claimDelayMs(rank, opts.rankStepMs)) return
    if (probing.has(holder.agent)) return
    probing.add(holder.agent)
    // Missed heartbeats are weak evidence: try the holder directly before taking its work.
    deps
      .probe(holder.agent, opts.probeTimeoutMs)
      .catch(() => false)
      .then((reachable) => {
        probing.delete(holder.agent)
        if (stopping) return
        if (reachable) {
          logger.info({ task: spec.id, holder: holder.agent }, 'holder silent but reachable; not taking over')
          claimSeen.set(spec.id, { holder: `${holder.agent}/${holder.epoch}`, at: clock.now() })
          return
        }
        const fresh = ledger.claimsFor(spec.id)
        const h = currentHolder(fresh, round)
        if (!h || h.agent !== holder.agent || h.epoch !== holder.epoch) return schedule()
        logger.warn({ task: spec.id, holder: holder.agent, epoch: holder.epoch + 1 }, 'holder unreachable past the lease TTL; taking over')
        if (load() < capacity() && windowNow().open) claim(spec.id, fresh, round, clock.now())
      })
  }

  function claim(taskId: string, claims: ClaimRecord[], round: number, now: number): void {
    const epoch = nextEpoch(claims)
    ledger.putClaim(deps.signer, { taskId, agent: self, epoch, round, at: clock.wall().toISOString(), released: false })
    // The settle wait is for claims of other agents that may be in flight. When no other live agent could
    // run the task (alone, or alone in its group), there are none to wait for: the task starts at once
    // (an agent not heard yet knows nothing of this task's claims either; if it claims too, the higher
    // epoch wins as after any split).
    const spec = specOf(taskId)
    const rivals = spec ? candidatesFor(spec, liveView(), self).length : 1
    const settleMs = rivals === 0 ? 0 : opts.settleMs
    pending.set(taskId, { taskId, epoch, round, settleUntil: now + settleMs, clock: deps.presence.localClock(), deadline: now + opts.settleMaxMs, seen: new Map() })
    freeSince.delete(taskId)
    if (settleMs === 0) schedule()
    else setTimeout(schedule, settleMs + 5).unref()
  }

  function releaseClaim(taskId: string, epoch: number, round: number): void {
    const mine = ledger.claimsFor(taskId).find((c) => c.agent === self)
    if (!mine || mine.released || mine.epoch !== epoch) return
    ledger.putClaim(deps.signer, { taskId, agent: self, epoch, round, at: clock.wall().toISOString(), released: true })
  }

  /**
   * A peer confirms a claim once a heartbeat of its shows our claim in its state vector; from then on we
   * only wait to hold everything that vector covered (fixed, so busy peers cannot keep moving the goal).
   */
  function confirmed(pc: PendingClaim, peer: string): boolean {
    let snap = pc.seen.get(peer)
    if (!snap) {
      const sv = deps.presence.peerStateVector(peer)
      if (!sv || (sv.get(deps.presence.selfClient()) ?? 0) < pc.clock) return false
      snap = new Map(sv)
      pc.seen.set(peer, snap)
    }
    return deps.presence.localCovers(snap)
  }

  const lifecycle = createJobLifecycle(deps, opts, {
    releaseClaim,
    schedule,
    block: (taskId, reason) => blocked.set(taskId, reason),
    settingsFor,
  })
  const { jobs, requestStop } = lifecycle
  const startJob = lifecycle.start

  return {
    start() {
      for (const t of ledger.tasks()) refreshOpen(t.id)
      unsubscribe = ledger.onChange(onLedgerChange)
      timer = setInterval(schedule, opts.tickMs)
      timer.unref()
      schedule()
    },
    async stop() {
      stopping = true
      unsubscribe?.()
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
