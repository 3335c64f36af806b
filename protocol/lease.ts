/**
 * Lease rules, as pure functions every replica computes the same way. There is no compare-and-swap in a
 * CRDT, so exclusivity is approximate by design: concurrent claims are resolved deterministically
 * (highest epoch, then best rendezvous score), a claimant waits a settle window and re-checks before it
 * touches the destination, and duplicated work is made harmless by the engine.
 *
 * Liveness is never written to the ledger: each agent judges a holder from the heartbeats it observes,
 * on its own monotonic clock, so skewed clocks between VMs do not matter.
 */
import type { ClaimRecord } from './records.ts'
import { rendezvousScore } from './rendezvous.ts'

/** A claim beats another: higher epoch, then better rendezvous score for the task, then agent id. */
export function claimBeats(a: ClaimRecord, b: ClaimRecord): boolean {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch
  const sa = rendezvousScore(a.taskId, a.agent)
  const sb = rendezvousScore(b.taskId, b.agent)
  if (sa !== sb) return sa > sb
  return a.agent > b.agent
}

/** The winning claim for a task among all its claims (any round), or undefined. */
export function winningClaim(claims: readonly ClaimRecord[]): ClaimRecord | undefined {
  let best: ClaimRecord | undefined
  for (const c of claims) if (!best || claimBeats(c, best)) best = c
  return best
}

export function maxEpoch(claims: readonly ClaimRecord[]): number {
  return claims.reduce((m, c) => Math.max(m, c.epoch), 0)
}

/**
 * Who holds the task for `round`: the winning claim if it is for that round and not released.
 * A released winner, or a winner of an older round, means the task is free.
 */
export function currentHolder(claims: readonly ClaimRecord[], round: number): ClaimRecord | undefined {
  const w = winningClaim(claims)
  if (!w || w.released || w.round !== round) return undefined
  return w
}

export interface HolderObservation {
  /** ms since this agent last heard a heartbeat from the holder (monotonic), or undefined if never */
  silentForMs: number | undefined
  /** ms since this agent first saw the claim (monotonic): a holder we never heard gets TTL from then */
  claimSeenForMs: number
}

/** The holder is presumed dead when not heard from for the TTL (or, never heard, TTL since the claim was seen). */
export function holderExpired(obs: HolderObservation, ttlMs: number): boolean {
  const silent = obs.silentForMs ?? obs.claimSeenForMs
  return silent >= ttlMs && obs.claimSeenForMs >= ttlMs
}

/** The epoch a new claim must carry: one above every epoch seen for the task. */
export function nextEpoch(claims: readonly ClaimRecord[]): number {
  return maxEpoch(claims) + 1
}

export interface Candidate {
  agent: string
  /** tasks it runs now */
  running: number
  capacity: number
}

/**
 * Rank of `self` among the eligible live agents for a free task: agents with more free slots come first
 * (load balance), and among equally free ones the rendezvous score decides (stable, spreads tasks).
 * Returns -1 when self is not a candidate.
 */
export function claimRank(taskId: string, self: string, candidates: readonly Candidate[]): number {
  // The rank is how many eligible candidates order before self: one score each, where sorting them all
  // computed two per comparison (a pass ranks every free task, against every live agent).
  const me = candidates.find((c) => c.agent === self && c.capacity - c.running > 0)
  if (!me) return -1
  const bucket = (c: Candidate) => ((c.capacity - c.running) / c.capacity > 0.5 ? 1 : 0)
  const myBucket = bucket(me)
  const myScore = rendezvousScore(taskId, self)
  let rank = 0
  for (const c of candidates) {
    if (c === me || c.capacity - c.running <= 0) continue
    // Two coarse buckets of free share (more than half free, or not): small or fast-changing load
    // differences, which agents see at different times, must not reorder the ranking.
    const b = bucket(c)
    if (b !== myBucket) {
      if (b > myBucket) rank++
      continue
    }
    const score = rendezvousScore(taskId, c.agent)
    if (score > myScore || (score === myScore && c.agent < self)) rank++
  }
  return rank
}

/** How long to wait before claiming at a given rank: the best-ranked claims at once, others later. */
export function claimDelayMs(rank: number, stepMs: number): number {
  return rank <= 0 ? 0 : rank * stepMs
}

/** After claiming, the claimant proceeds only if it still wins once the settle window has passed. */
export function stillWins(claims: readonly ClaimRecord[], self: string, epoch: number, round: number): boolean {
  const h = currentHolder(claims, round)
  return h !== undefined && h.agent === self && h.epoch === epoch
}
