/**
 * Why a queued task waits, in words an admin can act on: nobody of its group is online, every agent
 * of the group is disabled, the agents that are online cannot run it (and why), or they are all busy.
 */
import type { Ledger } from '../../protocol/ledger.ts'
import { agentEnabled } from '../../protocol/agents-view.ts'
import type { TaskSpec } from '../../protocol/records.ts'
import type { Presence } from '../presence/presence.ts'

export interface WaitingContext {
  self: string
  ledger: Ledger
  presence: Presence
  selfBlocked(): Record<string, string>
  selfFree(): number
  selfGroup?: string
}

export function waitingReasonFor(spec: TaskSpec, ctx: WaitingContext): string | null {
  const snaps = ctx.presence.snapshots()
  const online = [...snaps.entries()].filter(([id]) => ctx.presence.isOnline(id) && snaps.get(id)!.group === spec.group)
  if (online.length === 0) return `no online agent in group ${spec.group}: start one with --group ${spec.group}`
  const enabled = online.filter(([id]) => agentEnabled(ctx.ledger.commandsFor(id), id))
  if (enabled.length === 0) return `every online agent of group ${spec.group} is disabled: mmesh agent enable`
  const reasons: string[] = []
  let free = 0
  for (const [id, s] of enabled) {
    const blocked = id === ctx.self ? ctx.selfBlocked() : ((ctx.presence.peers().get(id)?.message.fields.blocked as Record<string, string> | undefined) ?? {})
    const why = blocked[spec.id]
    if (typeof why === 'string') reasons.push(`${s.name}: ${why}`)
    else free += id === ctx.self ? Math.max(0, ctx.selfFree()) : Math.max(0, s.capacity - s.running)
  }
  if (reasons.length === enabled.length) return `no online agent can run it — ${reasons.join('; ')}`
  if (free === 0) return `all agents of group ${spec.group} that can run it are at capacity`
  return null
}
