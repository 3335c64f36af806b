/**
 * Anti-entropy under churn: a differing digest from a peer that is behind us (its heartbeat's state vector
 * is covered by ours, and ours has more) is left to that peer to pull. At 30 agents nearly every digest
 * differs while work goes on, and both sides syncing on each (every diff carries the whole delete set)
 * was the largest share of an agent's CPU. Here the agent that is behind must still catch up, by pulling,
 * while the one ahead starts no sync of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

let fleet: Fleet
let a: AgentProc
let b: AgentProc

interface Status {
  digest: string
  /** syncs: those this agent started and those peers started with it; lastSync: the last of either */
  replication: { syncs: number; syncsStarted: number; syncFailures: number; lastSync: unknown }
}
/** what `x` started: the syncs that ended well, and those that failed (a held peer refuses them) */
const started = async (x: AgentProc) => {
  const r = (await status(x)).replication
  return { syncsStarted: r.syncsStarted, syncFailures: r.syncFailures }
}
const status = (x: AgentProc) => fleet.call<Status>(x, 'status')

beforeAll(async () => {
  fleet = await createFleet()
  a = await fleet.start('ahead')
  b = await fleet.start('behind', { peers: [a] })
  await waitFor(async () => (await fleet.call<{ state: string }[]>(b, 'agents.list')).filter((x) => x.state === 'online').length === 2, {
    timeoutMs: 30_000,
    message: 'two agents online',
  })
  await fleet.converged([a, b])
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

describe('a peer behind us', () => {
  it('catches up by pulling; the agent ahead leaves the sync to it', async () => {
    // b hears heartbeats but no ledger traffic while a writes: b falls behind (its tasks' UNC sources are
    // runnable by neither agent, so nothing else writes meanwhile).
    await fleet.call(b, 'test.holdLedger', {})
    const aStarted = await started(a)
    await fleet.call(a, 'test.writeRecords', { count: 40, prefix: 'ahead' })
    const ledgerOf = async (x: AgentProc) => (await fleet.call<{ validTasks: number }>(x, 'test.ledger')).validTasks
    const tasksOnA = await ledgerOf(a)
    expect(tasksOnA).toBeGreaterThanOrEqual(40)
    // Past b's repeated digest (test anti-entropy 1 s, an unchanged digest every 4th period) with b
    // behind: a must not try to sync with it (b would refuse while held: a failed sync of a's).
    await new Promise((r) => setTimeout(r, 6000))
    expect(await ledgerOf(b)).toBeLessThan(tasksOnA)
    expect(await started(a)).toEqual(aStarted)
    const bStarted = await started(b)

    await fleet.call(b, 'test.unblock', {})
    await fleet.converged([a, b], { timeoutMs: 30_000 })
    expect(await ledgerOf(b)).toBe(tasksOnA)
    // b started a sync that brought it a's writes; a started none
    expect((await started(b)).syncsStarted).toBeGreaterThan(bStarted.syncsStarted)
    const pulled = (await status(b)).replication.lastSync as { peer: string; received: number } | null
    expect(pulled?.peer).toBe(a.peerId)
    expect(pulled?.received).toBeGreaterThan(0)
    expect(await started(a)).toEqual(aStarted)
  })
})
