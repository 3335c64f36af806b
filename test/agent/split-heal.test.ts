/**
 * Split the fleet in two (test connection gate), change both halves — additions and deletions — heal:
 * every agent converges to the same content, deletions included.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

// Real processes on a possibly loaded 2-core machine: generous bounds (every wait still has one).
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 })

let fleet: Fleet
let a: AgentProc, b: AgentProc, c: AgentProc, d: AgentProc

beforeAll(async () => {
  fleet = await createFleet({ coreOnly: true })
  a = await fleet.start('alpha')
  ;[b, c, d] = await Promise.all([
    fleet.start('bravo', { peers: [a] }),
    fleet.start('charlie', { peers: [a] }),
    fleet.start('delta', { peers: [a] }),
  ])
  // The halves are cut along connections: charlie and delta know each other only through alpha's heartbeats.
  await fleet.meshed([a, b, c, d])
})

afterAll(async () => {
  await fleet?.cleanup()
})

const exists = async (agent: AgentProc, key: string) => (await fleet.call(agent, 'test.read', { map: 'tasks', key })).raw !== null

describe('split and heal', () => {
  it('both halves change; after healing all agents hold the same content', async () => {
    await fleet.call(a, 'test.writeRecords', { count: 20, prefix: 'base' })
    await fleet.converged([a, b, c, d])

    await fleet.split([a, b], [c, d])
    await fleet.waitFor(async () => {
      const s = await fleet.call(a, 'status')
      return !s.connections.includes(c.peerId) && !s.connections.includes(d.peerId)
    }, { message: 'alpha cut off from charlie and delta' })

    // left half: adds and deletes; right half: adds and deletes other keys
    await fleet.call(a, 'test.writeRecords', { count: 30, prefix: 'left' })
    await fleet.call(b, 'test.deleteRecords', { keys: ['base-0', 'base-1', 'base-2'] })
    await fleet.call(c, 'test.writeRecords', { count: 40, prefix: 'right' })
    await fleet.call(d, 'test.deleteRecords', { keys: ['base-10', 'base-11'] })

    const leftHash = await fleet.converged([a, b])
    const rightHash = await fleet.converged([c, d])
    expect(leftHash).not.toBe(rightHash)
    // nothing crossed the cut
    expect(await exists(c, 'left-0')).toBe(false)
    expect(await exists(a, 'right-0')).toBe(false)
    expect(await exists(c, 'base-0')).toBe(true)

    await fleet.heal()
    const hash = await fleet.converged([a, b, c, d], { timeoutMs: 90_000 })
    for (const agent of [a, b, c, d]) {
      const l = await fleet.call(agent, 'test.ledger')
      expect(l.hash).toBe(hash)
      expect(l.validTasks).toBe(20 + 30 + 40 - 5)
      for (const k of ['base-0', 'base-1', 'base-2', 'base-10', 'base-11']) expect(await exists(agent, k)).toBe(false)
      expect(await exists(agent, 'left-29')).toBe(true)
      expect(await exists(agent, 'right-39')).toBe(true)
    }
  })

  it('a deletion alone (no new structs, same state vector) reaches an agent that missed it', async () => {
    // Cut c off, delete on a, heal: c's state vector is already up to date, only the delete set differs.
    await fleet.split([a, b, d], [c])
    await fleet.call(a, 'test.deleteRecords', { keys: ['base-5'] })
    await fleet.converged([a, b, d])
    expect(await exists(c, 'base-5')).toBe(true)
    await fleet.heal()
    await fleet.converged([a, b, c, d], { timeoutMs: 90_000 })
    expect(await exists(c, 'base-5')).toBe(false)
  })
})
