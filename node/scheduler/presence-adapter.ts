/** The scheduler's view of presence: who is live, how long a holder has been silent, and our own heartbeat fields. */
import type { Agent } from '../agent.ts'
import type { PeerView, SchedulerPresence } from './types.ts'

export function createPresenceAdapter(agent: Pick<Agent, 'peerId' | 'group' | 'capacity' | 'presence'>): SchedulerPresence & { ownFields(): Record<string, unknown> } {
  const own: Record<string, unknown> = {}
  return {
    liveAgents(): PeerView[] {
      const out: PeerView[] = []
      for (const [id, p] of agent.presence.peers()) {
        if (!agent.presence.isOnline(id)) continue
        const blocked = p.message.fields.blocked
        out.push({
          id,
          group: p.message.group,
          capacity: p.message.capacity,
          running: p.message.running,
          blocked: blocked && typeof blocked === 'object' && !Array.isArray(blocked) ? (blocked as Record<string, string>) : {},
        })
      }
      return out
    },
    silentForMs(agentId: string): number | undefined {
      const heard = agent.presence.lastHeard(agentId)
      return heard === undefined ? undefined : performance.now() - heard
    },
    publish(fields: Record<string, unknown>): void {
      for (const [k, v] of Object.entries(fields)) {
        own[k] = v
        agent.presence.setField(k, v)
      }
    },
    ownFields: () => own,
  }
}
