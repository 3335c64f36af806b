/**
 * The causal settle (INTERNALS.md §2): a claim written and not yet started, whether a peer has confirmed
 * it (from the state vector its heartbeat carries), and each pass's decision to start its job, wait, or
 * let it go.
 */
import { foldTaskIntent } from '../../protocol/intent.ts'
import { stillWins } from '../../protocol/lease.ts'
import type { TaskSpec } from '../../protocol/records.ts'
import { candidatesFor } from './candidates.ts'
import type { PeerView, SchedulerDeps, SchedulerPresence } from './types.ts'

export interface PendingClaim {
  taskId: string
  epoch: number
  round: number
  settleUntil: number
  /** Our document clock right after the claim: peers that report at least this have seen it. */
  clock: number
  /** After this, a live peer that has not confirmed is logged once (we still wait for it). */
  deadline: number
  warned?: boolean
  /** Per peer, its state vector from the first heartbeat that showed it had seen this claim. */
  seen: Map<string, ReadonlyMap<number, number>>
}

/**
 * A peer confirms a claim once a heartbeat of its shows our claim in its state vector; from then on we
 * only wait to hold everything that vector covered (fixed, so busy peers cannot keep moving the goal).
 */
export function confirmed(presence: SchedulerPresence, pc: PendingClaim, peer: string): boolean {
  let snap = pc.seen.get(peer)
  if (!snap) {
    const sv = presence.peerStateVector(peer)
    if (!sv || (sv.get(presence.selfClient()) ?? 0) < pc.clock) return false
    snap = new Map(sv)
    pc.seen.set(peer, snap)
  }
  return presence.localCovers(snap)
}

export interface SettleDeps {
  agent: Pick<SchedulerDeps, 'self' | 'ledger' | 'logger' | 'presence'>
  /** claims written and not yet started; a claim leaves it when it starts or is let go */
  pending: Map<string, PendingClaim>
  specOf(taskId: string): TaskSpec | undefined
  liveView(): PeerView[]
  releaseClaim(taskId: string, epoch: number, round: number): void
  startJob(spec: TaskSpec, round: number, epoch: number): void
}

/** One pass over the pending claims: start those settled and still ours, let go of the others. */
export function settleClaims(deps: SettleDeps, now: number, inWindow: boolean): void {
  const { self, ledger, logger, presence } = deps.agent
  const { pending, specOf, releaseClaim } = deps
  // one live view per pass: a claim can wait long for confirmations, and passes run every 50 ms under churn
  let live: PeerView[] | null = null
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
    // seeing ours is then in our ledger, and none can come after. There is no deadline to proceed on:
    // a live rival that has not confirmed may hold a claim we cannot see yet (30 agents on 2 cores
    // delivered one 24 s late, and both ran the task). The wait ends when it confirms, or when it is no
    // longer live (silent past the TTL, or disabled, or out of the group), like a holder's.
    const spec0 = specOf(pc.taskId)
    const peers = spec0 ? candidatesFor(spec0, (live ??= deps.liveView()), self).filter((c) => c.agent !== self) : []
    const unconfirmed = peers.filter((c) => !confirmed(presence, pc, c.agent))
    // A claim that already lost (a rival's beats it) needs no confirmations: it is released below.
    if (unconfirmed.length > 0 && stillWins(ledger.claimsFor(pc.taskId), self, pc.epoch, pc.round)) {
      if (now >= pc.deadline && !pc.warned) {
        pc.warned = true
        logger.warn({ task: pc.taskId, peers: unconfirmed.map((c) => c.agent) }, 'claim not confirmed by live peers; waiting before starting')
      }
      continue
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
    deps.startJob(spec, pc.round, pc.epoch)
  }
}
