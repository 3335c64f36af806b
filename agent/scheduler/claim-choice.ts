/**
 * The scheduler's choice of what to claim: among the open tasks, a free one when this agent's rank and
 * delay say it is its turn, or a takeover when the holder has been silent past the lease TTL and a direct
 * probe cannot reach it. A claim written here is then settled (settle.ts) before its job starts. Kept apart
 * from the pass that drives it because it keeps its own memory: since when a task is free, when each
 * holder's claim was first seen, which holders are being probed.
 */
import { foldTaskIntent } from '../../protocol/intent.ts'
import { claimDelayMs, claimRank, currentHolder, holderExpired, nextEpoch } from '../../protocol/lease.ts'
import type { ClaimRecord, TaskSpec } from '../../protocol/records.ts'
import { candidatesFor } from './candidates.ts'
import type { PendingClaim } from './settle.ts'
import type { PeerView, SchedulerDeps, SchedulerOptions } from './types.ts'

export interface ClaimChoiceDeps {
  agent: Pick<SchedulerDeps, 'self' | 'ledger' | 'signer' | 'clock' | 'logger' | 'presence' | 'probe' | 'canRun' | 'leaseTtlMs'>
  opts: Pick<SchedulerOptions, 'hearMs' | 'rankStepMs' | 'settleMs' | 'settleMaxMs' | 'probeTimeoutMs'>
  open: ReadonlySet<string>
  /** claims written and not yet started: a new claim is added here */
  pending: Map<string, PendingClaim>
  /** task id → why this agent cannot run it */
  blocked: Map<string, string>
  specOf(taskId: string): TaskSpec | undefined
  group(): string
  capacity(): number
  /** tasks running or settling here */
  load(): number
  running(taskId: string): boolean
  inWindow(): boolean
  /** why this agent claims nothing new, as of this pass, or null */
  notClaiming(): string | null
  /** when the scheduler started (monotonic ms) */
  startedAt(): number
  stopping(): boolean
  liveView(): PeerView[]
  startJob(spec: TaskSpec, round: number, epoch: number): void
  schedule(): void
}

export interface ClaimChoice {
  /**
   * One pass over the open tasks (or only over `only`, those a ledger change touched since the last pass):
   * carry on our own, claim free ones, take over from silent holders.
   */
  findWork(now: number, only?: Iterable<string>): void
  /** Forgets what was kept about a task whose round ended. */
  forget(taskId: string): void
}

export function createClaimChoice(deps: ClaimChoiceDeps): ClaimChoice {
  const { self, ledger, clock, logger, presence, leaseTtlMs } = deps.agent
  const { opts, open, pending, blocked, specOf, load, capacity, schedule } = deps
  const freeSince = new Map<string, number>()
  /** When this agent first saw the current holder's claim of each task (its own monotonic clock). */
  const claimSeen = new Map<string, { holder: string; at: number }>()
  const probing = new Set<string>()

  function findWork(now: number, only?: Iterable<string>): void {
    if (load() >= capacity()) return
    let live: PeerView[] | null = null
    let heardAll: boolean | null = null
    for (const taskId of only ?? open) {
      if (load() >= capacity()) return
      if (only && !open.has(taskId)) continue
      if (deps.running(taskId) || pending.has(taskId)) continue
      const spec = specOf(taskId)
      if (!spec) continue
      const intent = foldTaskIntent(ledger.commandsFor(taskId))
      if (intent.cancelled || intent.paused) continue
      const claims = ledger.claimsFor(taskId)
      const holder = currentHolder(claims, intent.round)
      if (holder?.agent === self) {
        // Ours from before a restart (or a claim we made and forgot): carry on at the same epoch.
        deps.startJob(spec, intent.round, holder.epoch)
        continue
      }
      // Low on disk: nothing new, neither a free task nor a takeover (peers leave us out of their ranking too).
      if (deps.notClaiming() !== null) continue
      // Just started: the peers we have not heard yet would be rivals we do not wait for (a claim with no
      // live rival starts at once), so nothing new until every live peer has had time to be heard, or
      // until every agent the ledger knows has been heard: an agent alone in its fleet starts a task at once.
      if (now - deps.startedAt() < opts.hearMs && !(heardAll ??= everyAgentHeard())) continue
      if (spec.group !== deps.group()) continue
      // Run later: nobody claims before the start time; the 500 ms tick starts it soon after (and the rank
      // delays count from then, so the agents do not all claim at once).
      if (spec.startAt !== undefined && !holder && Date.parse(spec.startAt) > clock.wall().getTime()) continue
      // A holder heard from recently is the common case: nothing to decide, and cheap to tell.
      if (holder) {
        seenAt(taskId, holder, now)
        const silent = presence.silentForMs(holder.agent)
        if (silent !== undefined && silent < leaseTtlMs) continue
      }
      // A free task is ranked on what this agent last found it can do (older than can-run's cache is fine:
      // most free tasks are not its turn); it checks again when it is its turn, before it claims.
      const can = deps.agent.canRun(spec, { staleOk: !holder })
      if (!can.ok) {
        blocked.set(taskId, can.reason)
        continue
      }
      blocked.delete(taskId)
      live ??= deps.liveView()
      if (!holder) {
        const since = freeSince.get(taskId) ?? now
        freeSince.set(taskId, since)
        const rank = claimRank(taskId, self, candidatesFor(spec, live, null))
        if (rank < 0 || now - since < claimDelayMs(rank, opts.rankStepMs)) continue
        const fresh = deps.agent.canRun(spec)
        if (!fresh.ok) {
          blocked.set(taskId, fresh.reason)
          continue
        }
        claim(taskId, claims, intent.round, now)
      } else {
        considerTakeover(spec, holder, claims, intent.round, now, live)
      }
    }
  }

  /**
   * Every other agent the ledger knows has been heard since this one started. An agent the ledger does not
   * know yet knows nothing of our tasks either: a fresh agent's ledger gets the fleet's tasks and its
   * agents in one sync, so one that was already told of the task is told of its peers too (and waits for
   * them); a task added on a fresh agent before it met its fleet goes out with its claim.
   */
  function everyAgentHeard(): boolean {
    for (const a of ledger.agents()) if (a.id !== self && presence.silentForMs(a.id) === undefined) return false
    return true
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
    const silent = presence.silentForMs(holder.agent)
    if (!holderExpired({ silentForMs: silent, claimSeenForMs: now - seen }, leaseTtlMs)) return
    // Only the best-ranked live agent takes over at once; the others wait their turn.
    const rank = claimRank(spec.id, self, candidatesFor(spec, live, holder.agent))
    const expiredFor = now - seen - leaseTtlMs
    if (rank < 0 || expiredFor < claimDelayMs(rank, opts.rankStepMs)) return
    if (probing.has(holder.agent)) return
    probing.add(holder.agent)
    // Missed heartbeats are weak evidence: try the holder directly before taking its work.
    deps.agent
      .probe(holder.agent, opts.probeTimeoutMs)
      .catch(() => false)
      .then((reachable) => {
        probing.delete(holder.agent)
        if (deps.stopping()) return
        if (reachable) {
          logger.info({ task: spec.id, holder: holder.agent }, 'holder silent but reachable; not taking over')
          claimSeen.set(spec.id, { holder: `${holder.agent}/${holder.epoch}`, at: clock.now() })
          return
        }
        const fresh = ledger.claimsFor(spec.id)
        const h = currentHolder(fresh, round)
        if (!h || h.agent !== holder.agent || h.epoch !== holder.epoch) return schedule()
        logger.warn({ task: spec.id, holder: holder.agent, epoch: holder.epoch + 1 }, 'holder unreachable past the lease TTL; taking over')
        if (load() < capacity() && deps.inWindow()) claim(spec.id, fresh, round, clock.now())
      })
  }

  function claim(taskId: string, claims: ClaimRecord[], round: number, now: number): void {
    const epoch = nextEpoch(claims)
    ledger.putClaim(deps.agent.signer, { taskId, agent: self, epoch, round, at: clock.wall().toISOString(), released: false })
    // The settle wait is for claims of other agents that may be in flight. When no other live agent could
    // run the task (alone, or alone in its group), there are none to wait for: the task starts at once
    // (an agent not heard yet knows nothing of this task's claims either; if it claims too, the higher
    // epoch wins as after any split).
    const spec = specOf(taskId)
    const rivals = spec ? candidatesFor(spec, deps.liveView(), self).length : 1
    freeSince.delete(taskId)
    if (rivals === 0 && spec) {
      // Nothing to settle: the job starts now, not on the next pass (passes are at least 50 ms apart, and
      // that wait was most of the time between `task add` and the start on an idle agent).
      deps.startJob(spec, round, epoch)
      return
    }
    pending.set(taskId, { taskId, epoch, round, settleUntil: now + opts.settleMs, clock: presence.localClock(), deadline: now + opts.settleMaxMs, seen: new Map() })
    setTimeout(schedule, opts.settleMs + 5).unref()
  }

  function forget(taskId: string): void {
    claimSeen.delete(taskId)
    freeSince.delete(taskId)
  }

  return { findWork, forget }
}
