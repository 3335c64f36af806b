/**
 * A late joiner gets a 10,000-record ledger (in parts; an agent without them, as one update); a burst of 10,000 separate small changes converges; kill -9
 * and a restart on the same dir restore exactly the ledger it had, and changes made meanwhile arrive.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

// Real processes on a possibly loaded 2-core machine: generous bounds (every wait still has one).
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 })

let fleet: Fleet
let a: AgentProc, b: AgentProc

beforeAll(async () => {
  // The core alone: these tests are about replication, not about what runs on top of it.
  fleet = await createFleet({ coreOnly: true })
  a = await fleet.start('alpha')
  b = await fleet.start('bravo', { peers: [a] })
})

afterAll(async () => {
  await fleet?.cleanup()
})

describe('catch-up', () => {
  it('a late joiner gets the whole 10,000-record ledger', async () => {
    // one transaction: far bigger than a gossip message, so it travels over the sync stream only
    await fleet.call(a, 'test.writeRecords', { count: 10_000, prefix: 'bulk' })
    const late = await fleet.start('late', { peers: [b] })
    const hash = await fleet.converged([a, b, late], { timeoutMs: 90_000 })
    const l = await fleet.call(late, 'test.ledger')
    expect(l.hash).toBe(hash)
    expect(l.sizes.tasks).toBe(10_000)
    expect(l.validTasks).toBe(10_000)
  })

  it('the late joiner took it in parts; an agent without them (an older one) takes it as one update', async () => {
    const late = fleet.agents.find((x) => x.name === 'late')!
    const lateStats = (await fleet.call(late, 'status')).replication
    expect(lateStats.largestSync.received).toBeGreaterThan(1024 * 1024)
    // 10,000 tasks of 1,000 structs a part, and the deletions
    expect(lateStats.syncPartsReceived).toBeGreaterThanOrEqual(10)
    const older = await fleet.start('older', { peers: [a], env: { MMESH_TEST_LEDGER_HELD: '1' } })
    await fleet.call(older, 'test.withoutSyncParts', {})
    await fleet.call(older, 'test.unblock', {})
    const hash = await fleet.converged([a, b, late, older], { timeoutMs: 90_000 })
    const l = await fleet.call(older, 'test.ledger')
    expect(l.hash).toBe(hash)
    expect(l.validTasks).toBe(10_000)
    // whoever it synced with first found no parts protocol and sent the catch-up on the sync stream
    const olderStats = (await fleet.call(older, 'status')).replication
    expect(olderStats.largestSync.received).toBeGreaterThan(1024 * 1024)
    expect(olderStats.syncPartsReceived).toBe(0)
  })

  it('a burst of 10,000 separate small changes from one agent converges', async () => {
    const r = await fleet.call(b, 'test.writeRecords', { count: 10_000, prefix: 'burst', separate: true })
    expect(r.written).toBe(10_000)
    const hash = await fleet.converged(fleet.running(), { timeoutMs: 60_000 })
    for (const agent of fleet.running()) {
      const l = await fleet.call(agent, 'test.ledger')
      expect(l.hash).toBe(hash)
      expect(l.validTasks).toBe(20_000)
    }
  })

  it('kill -9 and restart restore exactly the ledger it had; changes made meanwhile arrive', async () => {
    const before = await fleet.call(b, 'test.ledger', { stored: true, full: true })
    await fleet.kill(b)
    await fleet.call(a, 'test.writeRecords', { count: 50, prefix: 'while-down' })
    await fleet.call(a, 'test.deleteRecords', { keys: ['bulk-1', 'bulk-2'] })
    // Restart cut off from everyone: what it holds now is only what it restored.
    await fleet.restart(b, { env: { MMESH_TEST_ISOLATED: '1' } })
    const restored = await fleet.call(b, 'test.ledger', { full: true })
    // Key by key first: a failure then says whether the restore lost something or something arrived late.
    expect(ledgerDiff(before.content, restored.content)).toEqual([])
    expect(restored.hash).toBe(before.hash)
    expect(restored.sizes).toEqual(before.sizes)
    await fleet.call(b, 'test.unblock', {})
    const hash = await fleet.converged([a, b], { timeoutMs: 90_000 })
    const after = await fleet.call(b, 'test.ledger')
    expect(after.hash).toBe(hash)
    expect(after.validTasks).toBe(before.validTasks + 50 - 2)
    expect((await fleet.call(b, 'test.read', { map: 'tasks', key: 'bulk-1' })).raw).toBeNull()
    expect((await fleet.call(b, 'test.read', { map: 'tasks', key: 'while-down-49' })).typed).not.toBeNull()
  })
})

type Content = Record<string, Record<string, unknown>>

/** `map/key: before → restored` for every record that differs between two ledgers' contents. */
function ledgerDiff(before: Content, restored: Content): string[] {
  const diff: string[] = []
  for (const map of new Set([...Object.keys(before), ...Object.keys(restored)])) {
    const x = before[map] ?? {}
    const y = restored[map] ?? {}
    for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const a = JSON.stringify(x[key]) ?? 'absent'
      const b = JSON.stringify(y[key]) ?? 'absent'
      if (a !== b) diff.push(`${map}/${key}: ${a.slice(0, 200)} → ${b.slice(0, 200)}`)
    }
  }
  return diff
}
