/**
 * Who may claim a task, as every agent sees it: the live agents from their heartbeats and this agent as it
 * last published itself. Both the claim choice (ranking) and the causal settle (whose confirmation to wait
 * for) read the same view, so it is built in one place.
 */
import type { Candidate } from '../../protocol/lease.ts'
import type { TaskSpec } from '../../protocol/records.ts'
import type { PeerView, SchedulerPresence } from './types.ts'

/**
 * Who may claim a task, ranked from heartbeat data only (our own load as last published, not as it is
 * this instant): every agent then computes the same ranking, so only one of them claims at once.
 */
export function candidatesFor(spec: TaskSpec, live: readonly PeerView[], exclude: string | null): Candidate[] {
  const out: Candidate[] = []
  for (const p of live) {
    if (p.id === exclude || p.group !== spec.group || p.blocked[spec.id] !== undefined || !p.enabled || p.notClaiming !== undefined) continue
    out.push({ agent: p.id, running: p.running, capacity: Math.max(1, p.capacity) })
  }
  return out
}

/**
 * Agents that may be claiming too, self included with what it last published (`own()`): everyone heard
 * within the lease TTL, not just within three heartbeats. Under load heartbeats arrive late; an agent that
 * briefly looked offline must still be ranked and still confirm our claims, or two agents each think
 * they are alone and both work.
 */
export function liveView(
  presence: Pick<SchedulerPresence, 'liveAgents'>, leaseTtlMs: number, enabledAgent: (id: string) => boolean, self: string, own: () => PeerView,
): PeerView[] {
  const live: PeerView[] = presence
    .liveAgents(leaseTtlMs)
    .filter((p) => p.id !== self)
    .map((p) => ({ ...p, enabled: enabledAgent(p.id) }))
  live.push(own())
  return live
}
