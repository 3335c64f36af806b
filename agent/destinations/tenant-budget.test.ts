import { describe, expect, it } from 'vitest'
import { createTenantBudget, tenantKey } from './tenant-budget.ts'

/** A presence with the given peers' heartbeat fields; `offline` ids are not online. */
function fakePresence(peers: Record<string, Record<string, unknown>>, offline: string[] = []) {
  const own: Record<string, unknown> = {}
  return {
    own,
    presence: {
      peers: () => new Map(Object.entries(peers).map(([id, fields]) => [id, { message: { fields } }])) as never,
      isOnline: (id: string) => !offline.includes(id),
      setField: (k: string, v: unknown) => void (v === undefined ? delete own[k] : (own[k] = v)),
    },
  }
}

describe('tenant budget: this agent\'s share of TenantRequestsPerMinute', () => {
  const T = 'Contoso.onmicrosoft.com'
  const key = tenantKey(T)

  it('splits the budget among the online, enabled agents of the same tenant, itself included', () => {
    const { presence, own } = fakePresence({ a: { spTenant: key }, b: { spTenant: key }, c: { spTenant: tenantKey('other.onmicrosoft.com') }, d: { spTenant: key }, e: { spTenant: key }, f: {} }, ['d'])
    let t = 0
    const budget = createTenantBudget({ presence, budget: () => 600, tenant: () => T, enabled: (id) => id !== 'e', now: () => t })
    // self + a + b (c: another tenant, d: offline, e: disabled, f: no credentials)
    expect(budget.perMinute()).toBe(200)
    expect(budget.sharers()).toBe(3)
    expect(own.spTenant).toBe(key)
    // the tenant id itself never travels, and its case does not matter
    expect(key).not.toContain('contoso')
    expect(tenantKey('contoso.onmicrosoft.com')).toBe(key)
    t += 1000
    expect(createTenantBudget({ presence, budget: () => 0, tenant: () => T, enabled: () => true, now: () => t }).perMinute()).toBe(0)
  })

  it('recounts as agents come and go, and takes the whole budget alone or without credentials', () => {
    const peers: Record<string, Record<string, unknown>> = { a: { spTenant: key } }
    const { presence, own } = fakePresence(peers)
    let t = 0
    let tenant: string | null = T
    const budget = createTenantBudget({ presence, budget: () => 90, tenant: () => tenant, enabled: () => true, now: () => t })
    expect(budget.perMinute()).toBe(45)
    delete peers.a
    expect(budget.perMinute()).toBe(45) // cached for half a second
    t += 600
    expect(budget.perMinute()).toBe(90)
    tenant = null
    t += 600
    expect(budget.perMinute()).toBe(90)
    expect(own.spTenant).toBeUndefined()
  })
})
