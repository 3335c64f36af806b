/**
 * A local change too big to gossip is pushed as it is to every connected peer (each part once), not
 * pulled by each peer with a sync that the writer encodes again per peer.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 })

interface Stats { pushed: number; pushesReceived: number; hinted: number; largestSync: { received: number } | null }

let fleet: Fleet
let a: AgentProc, b: AgentProc, c: AgentProc

beforeAll(async () => {
  fleet = await createFleet({ coreOnly: true })
  a = await fleet.start('alpha')
  b = await fleet.start('bravo', { peers: [a] })
  c = await fleet.start('charlie', { peers: [a] })
  await fleet.waitFor(async () => (await fleet.call<{ connections: string[] }>(a, 'status')).connections.length === 2, { message: 'alpha connected to both' })
  await fleet.converged([a, b, c])
})

afterAll(async () => {
  await fleet?.cleanup()
})

const stats = async (x: AgentProc) => (await fleet.call<{ replication: Stats }>(x, 'status')).replication

describe('push of a large change', () => {
  it('reaches every connected peer once, by push, and the fleet converges', async () => {
    // 5,000 tasks in one transaction: ~1.5 MB, six times the largest gossip message
    await fleet.call(a, 'test.writeRecords', { count: 5_000, prefix: 'pushed' })
    const hash = await fleet.converged([a, b, c], { timeoutMs: 60_000 })
    expect((await fleet.call(b, 'test.ledger')).hash).toBe(hash)
    const [sa, sb, sc] = await Promise.all([stats(a), stats(b), stats(c)])
    // in parts of about 512 KB (replication/flush-queue.ts), each sent to each peer once, then one hint
    expect(sb.pushesReceived).toBeGreaterThanOrEqual(1)
    expect(sc.pushesReceived).toBe(sb.pushesReceived)
    expect(sa.pushed).toBe(sb.pushesReceived + sc.pushesReceived)
    expect(sa.hinted).toBe(1)
    // nobody also pulled the megabytes over a sync stream
    for (const s of [sb, sc]) expect(s.largestSync?.received ?? 0).toBeLessThan(256 * 1024)
  })

  it('a peer cut off during the push gets the change by pull once it is back', async () => {
    await fleet.split([a, b], [c])
    await fleet.call(a, 'test.writeRecords', { count: 5_000, prefix: 'missed' })
    await fleet.waitFor(async () => (await fleet.call<{ sizes: { tasks: number } }>(b, 'status')).sizes.tasks === 10_000, { message: 'bravo got the push' })
    expect((await fleet.call<{ sizes: { tasks: number } }>(c, 'status')).sizes.tasks).toBe(5_000)
    await fleet.heal()
    const hash = await fleet.converged([a, b, c], { timeoutMs: 90_000 })
    expect((await fleet.call(c, 'test.ledger')).hash).toBe(hash)
    expect((await stats(c)).largestSync?.received ?? 0).toBeGreaterThan(1024 * 1024)
  })
})
