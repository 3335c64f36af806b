/**
 * The causal settle's bookkeeping (INTERNALS.md §2): a claim written and not yet started, and whether a
 * peer has confirmed it, from the state vector its heartbeat carries.
 */
import type { SchedulerPresence } from './types.ts'

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
