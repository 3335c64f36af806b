/**
 * This agent's share of the fleet's SharePoint request budget (the TenantRequestsPerMinute setting).
 * SharePoint throttles per app per tenant, so the budget is per tenant: every online, enabled agent with
 * credentials for the same tenant takes an equal share, recounted as agents come and go. Agents tell each
 * other their tenant in the heartbeat as a short hash (`spTenant`): enough to match, and the tenant id
 * itself stays on the machines configured with it.
 */
import { createHash } from 'node:crypto'
import type { Presence } from '../presence/presence.ts'

/** How long a computed share is used before it is computed again (presence changes at heartbeat pace). */
const REFRESH_MS = 500

export interface TenantBudgetDeps {
  presence: Pick<Presence, 'peers' | 'isOnline' | 'setField'>
  /** TenantRequestsPerMinute from the ledger's settings (0: no budget) */
  budget(): number
  /** this agent's tenant id (its credentials), or null without credentials */
  tenant(): string | null
  /** not disabled by an admin */
  enabled(agentId: string): boolean
  now?: () => number
}

/** The heartbeat form of a tenant id: case does not matter to Entra, so neither to the match. */
export function tenantKey(tenantId: string): string {
  return createHash('sha256').update(`mmesh-tenant:${tenantId.trim().toLowerCase()}`).digest('hex').slice(0, 16)
}

export function createTenantBudget(deps: TenantBudgetDeps) {
  const now = deps.now ?? Date.now
  let published: string | null | undefined
  let cached = { at: -Infinity, perMinute: 0, sharers: 1 }

  /** Publishes our tenant key in the heartbeat when it changed (credentials set or removed). */
  function publish(): string | null {
    const t = deps.tenant()
    const key = t ? tenantKey(t) : null
    if (key !== published) {
      published = key
      deps.presence.setField('spTenant', key ?? undefined)
    }
    return key
  }

  function compute(): { perMinute: number; sharers: number } {
    const budget = deps.budget()
    const key = publish()
    if (!(budget > 0)) return { perMinute: 0, sharers: 1 }
    // Without credentials this agent sends nothing to SharePoint: the share is moot, the whole budget is the cap.
    if (!key) return { perMinute: budget, sharers: 1 }
    let sharers = 1
    for (const [id, p] of deps.presence.peers()) {
      if (p.message.fields.spTenant === key && deps.presence.isOnline(id) && deps.enabled(id)) sharers++
    }
    return { perMinute: budget / sharers, sharers }
  }

  return {
    /** Requests per minute this agent may send now (0: no limit). */
    perMinute(): number {
      const t = now()
      if (t - cached.at >= REFRESH_MS) cached = { at: t, ...compute() }
      return cached.perMinute
    },
    /** How many agents share the budget (this one included), as last computed. */
    sharers: () => cached.sharers,
    publish,
  }
}
