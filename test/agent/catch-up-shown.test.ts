/**
 * A slow join is visible as such: an agent that lacks records its peers hold says how many, in
 * `agents --json` and the table's LEDGER column, on itself and (through its heartbeat) on its peers,
 * and says "current" once it holds them.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 })

interface Row { id: string; catchingUp: { records: number } | null }

let fleet: Fleet
let a: AgentProc

beforeAll(async () => {
  // Full agents: the heartbeat's state vector comes from the scheduler's presence adapter.
  fleet = await createFleet()
  a = await fleet.start('alpha')
})

afterAll(async () => {
  await fleet?.cleanup()
})

const behind = async (on: AgentProc, of: AgentProc) =>
  (await fleet.call<Row[]>(on, 'agents.list')).find((r) => r.id === of.peerId)?.catchingUp ?? null
const rowOf = (table: string, agent: AgentProc) => table.split('\n').find((l) => l.includes(agent.peerId)) ?? ''

describe('catch-up shown', () => {
  it('a late joiner shows how many records it is behind, on itself and on its peers, then "current"', async () => {
    await fleet.call(a, 'test.writeRecords', { count: 5_000, prefix: 'held', separate: true })
    // Connected and hearing heartbeats, but holding back the ledger: it knows what it lacks and cannot get it yet.
    const late = await fleet.start('late', { peers: [a], env: { MMESH_TEST_LEDGER_HELD: '1' } })
    await fleet.waitFor(async () => ((await behind(late, late))?.records ?? 0) >= 5_000, { timeoutMs: 60_000, message: 'the late joiner counts the records it lacks' })
    await fleet.waitFor(async () => ((await behind(a, late))?.records ?? 0) >= 5_000, { timeoutMs: 60_000, message: 'alpha shows the late joiner catching up, from its heartbeat' })
    // alpha lacks only what the late joiner wrote itself (its agent record), which it holds back too
    expect((await behind(a, a))?.records ?? 0).toBeLessThan(10)
    const held = await fleet.run(['agents'], late)
    expect(held.exitCode).toBe(0)
    expect(rowOf(held.stdout, late)).toMatch(/catching up \d+,\d{3} records/)
    expect(rowOf(held.stdout, a)).not.toMatch(/catching up \d+,\d{3} records/)

    await fleet.call(late, 'test.unblock', {})
    await fleet.converged([a, late], { timeoutMs: 90_000 })
    await fleet.waitFor(async () => (await behind(late, late)) === null && (await behind(a, late)) === null, { timeoutMs: 60_000, message: 'caught up, on itself and on alpha' })
    const table = await fleet.run(['agents'], late)
    expect(table.stdout).toMatch(/LEDGER/)
    expect(rowOf(table.stdout, late)).toMatch(/current/)
  })
})
