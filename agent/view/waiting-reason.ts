/**
 * Why a queued task waits, in words an admin can act on: nobody of its group is online, every agent
 * of the group is disabled, the agents that are online cannot run it (and why), or they are all busy.
 */
import type { Ledger } from '../../protocol/ledger.ts'
import { agentEnabled } from '../../protocol/agents-view.ts'
import type { TaskSpec } from '../../protocol/records.ts'
import type { PresenceSnapshot } from '../../protocol/agents-view.ts'
import type { Presence } from '../presence/presence.ts'

export interface WaitingContext {
  self: string
  ledger: Ledger
  presence: Presence
  selfBlocked(): Record<string, string>
  selfFree(): number
  selfGroup?: string
}

/** Who could run a task of a group: its online agents, and those of them that are enabled with what each refuses. */
interface GroupAgents {
  online: number
  enabled: { id: string; snap: PresenceSnapshot; blocked: Record<string, string> }[]
}

/**
 * Presence, enablement and each agent's refusals as of this turn of the event loop, per group. A list
 * of 10,000 queued tasks asks for each of them in one synchronous turn, in which nothing changes
 * presence, the ledger or the scheduler: worked out once for the turn instead of once per task.
 */
let turn: { presence: Presence; ledger: Ledger; groups: Map<string, GroupAgents> } | null = null

function groupAgents(ctx: WaitingContext, group: string): GroupAgents {
  if (!turn || turn.presence !== ctx.presence || turn.ledger !== ctx.ledger) {
    turn = { presence: ctx.presence, ledger: ctx.ledger, groups: new Map() }
    queueMicrotask(() => (turn = null))
  }
  let g = turn.groups.get(group)
  if (!g) {
    const snaps = ctx.presence.snapshots()
    const online = [...snaps.entries()].filter(([id, s]) => ctx.presence.isOnline(id) && s.group === group)
    const enabled = online.filter(([id]) => agentEnabled(ctx.ledger.commandsFor(id), id))
    const blockedOf = (id: string) => (id === ctx.self ? ctx.selfBlocked() : ((ctx.presence.peers().get(id)?.message.fields.blocked as Record<string, string> | undefined) ?? {}))
    g = { online: online.length, enabled: enabled.map(([id, snap]) => ({ id, snap, blocked: blockedOf(id) })) }
    turn.groups.set(group, g)
  }
  return g
}

export function waitingReasonFor(spec: TaskSpec, ctx: WaitingContext): string | null {
  const { online, enabled } = groupAgents(ctx, spec.group)
  if (online === 0) return `no online agent in group ${spec.group}: start one with --group ${spec.group}`
  if (enabled.length === 0) return `every online agent of group ${spec.group} is disabled: mmesh agent enable`
  const reasons: string[] = []
  let free = 0
  for (const { id, snap: s, blocked } of enabled) {
    const why = s.notClaiming ?? blocked[spec.id]
    if (typeof why === 'string') reasons.push(`${s.name}: ${why}`)
    else free += id === ctx.self ? Math.max(0, ctx.selfFree()) : Math.max(0, s.capacity - s.running)
  }
  if (reasons.length === enabled.length) return `no online agent can run it — ${reasons.join('; ')}`
  if (free === 0) return `all agents of group ${spec.group} that can run it are at capacity`
  return null
}
