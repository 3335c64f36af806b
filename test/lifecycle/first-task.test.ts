/**
 * Issue 18, "an idle agent picks up a new task at once", with real agents over the CLI. A just-started
 * agent claims nothing new until it has heard its peers (3 heartbeats): alone (no other agent in its
 * ledger) it has no one to hear, so a task added right after its start starts at once; with a peer in
 * its ledger that it has not heard since it started, it still waits the full 3 heartbeats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { makeShare } from '../leases/lease-harness.ts'

/** Long heartbeats, so the hear wait (3 of them) stands well apart from an immediate start. */
const HEARTBEAT_MS = 2000
const HEAR_WAIT_MS = 3 * HEARTBEAT_MS

let fleet: Fleet

beforeAll(async () => {
  fleet = await createFleet({ env: { MMESH_HEARTBEAT_MS: String(HEARTBEAT_MS) } })
}, 60_000)

afterAll(async () => {
  await fleet?.cleanup()
})

async function addAndRun(agent: AgentProc, name: string): Promise<{ addedAt: number; startedAt: number }> {
  const src = fleet.tempDir('src')
  const dst = fleet.tempDir('dst')
  const add = await fleet.run(['task', 'add', '--source', makeShare(src, name, 4), '--dest', `file://${dst}`], agent)
  expect(add.exitCode, add.stderr).toBe(0)
  const addedAt = Date.now()
  const id = add.stdout.trim()
  const view = await fleet.waitFor(
    async () => {
      const v = await fleet.call<{ status: string; startedAt: string | null; counts: { migrated: number } }>(agent, 'task.show', { id })
      return v.status === 'completed' ? v : null
    },
    { timeoutMs: 30_000, intervalMs: 50, message: `task ${name} completed on ${agent.name}` },
  )
  expect(view.counts.migrated).toBe(4 + 1)
  return { addedAt, startedAt: Date.parse(view.startedAt!) }
}

describe('the first task on a just-started agent', () => {
  let a: AgentProc

  it('starts at once when no other agent is in the ledger', async () => {
    a = await fleet.start('alone')
    const { addedAt, startedAt } = await addAndRun(a, 'first')
    // Without a peer to hear, nothing waits for the 3 heartbeats after the start.
    expect(startedAt - addedAt).toBeLessThan(HEARTBEAT_MS)
  }, 90_000)

  it('still waits 3 heartbeats while a peer its ledger knows has not been heard', async () => {
    const b = await fleet.start('peer', { peers: [a] })
    await fleet.waitFor(async () => (await fleet.call<Array<{ id: string }>>(a, 'agents.list')).some((x) => x.id === b.peerId), {
      timeoutMs: 30_000,
      message: 'the peer in the first agent ledger',
    })
    await fleet.kill(b)
    await fleet.kill(a, 'SIGTERM')
    const restartedAt = Date.now()
    await fleet.restart(a)
    const { startedAt } = await addAndRun(a, 'second')
    // The peer is in the ledger and silent: it might be claiming too, so the agent waits to hear it.
    expect(startedAt - restartedAt).toBeGreaterThanOrEqual(HEAR_WAIT_MS)
  }, 120_000)
})
