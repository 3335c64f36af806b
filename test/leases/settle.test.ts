/**
 * Issue 18: no task runs on two agents at once, also when a rival's claim reaches us later than any
 * fixed wait. Two live agents (heartbeats flowing) both claim one task while neither receives the
 * other's ledger changes (test.holdLedger: the slow replication of 30 agents on two cores, made lasting).
 * Neither may start while the other, live, has not confirmed the claim; once replication resumes exactly
 * one of them runs the task, and only its files reach the destination.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { addTask, listTasks, makeShare, overlaps, readWorkLog, workIntervals } from './lease-harness.ts'

/** The scheduler's settle deadline with the test heartbeat (agent/services.ts: max(10 s, 5 heartbeats)). */
const SETTLE_MAX_MS = 10_000
let fleet: Fleet
let agents: AgentProc[]

beforeAll(async () => {
  fleet = await createFleet({ env: { MMESH_TEST_FILE_DELAY_MS: '100' } })
  const a = await fleet.start('r1', { args: ['--capacity', '1'] })
  const b = await fleet.start('r2', { peers: [a], args: ['--capacity', '1'] })
  agents = [a, b]
  await waitFor(async () => (await fleet.call<{ state: string }[]>(b, 'agents.list')).filter((x) => x.state === 'online').length === 2, {
    timeoutMs: 30_000,
    message: 'two agents online',
  })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

interface CopyLine {
  taskId: string
  rel: string
  agent: string
}

describe('claim settle', () => {
  it('a claim whose live rival never confirmed it does not start; after replication resumes one agent runs the task', async () => {
    const [a, b] = agents as [AgentProc, AgentProc]
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    // Known to both before replication stops, claimable by neither until then (--start-at).
    const startAt = new Date(Date.now() + 4000).toISOString()
    const id = await addTask(fleet, a, makeShare(src, 'race', 30), dst, ['--folder', 'race', '--start-at', startAt])
    await waitFor(async () => (await listTasks(fleet, b)).some((t) => t.id === id), { timeoutMs: 10_000, message: 'task known on r2' })
    for (const x of agents) await fleet.call(x, 'test.holdLedger', {})
    expect(Date.now()).toBeLessThan(Date.parse(startAt))

    // Each claims it, unaware of the other's claim (each agent's own ledger holds its own claim).
    const ownClaim = async (x: AgentProc) => (await fleet.call<{ raw: unknown }>(x, 'test.read', { map: 'claims', key: `${id}/${x.peerId}` })).raw !== null
    await waitFor(async () => (await ownClaim(a)) && (await ownClaim(b)), { timeoutMs: 20_000, intervalMs: 200, message: 'both agents claimed the task' })
    const claimedAt = Date.now()
    // Past the settle deadline: a scheduler that proceeds on the deadline has started by now, on both.
    await waitFor(() => Date.now() - claimedAt > SETTLE_MAX_MS + 3000, { timeoutMs: SETTLE_MAX_MS + 5000, intervalMs: 250 })
    const duringHold = readWorkLog(agents).filter((e) => e.taskId === id && e.what === 'start')
    for (const x of agents) await fleet.call(x, 'test.unblock', {})

    await waitFor(async () => (await listTasks(fleet, a)).find((t) => t.id === id)?.status === 'completed', {
      timeoutMs: 40_000,
      intervalMs: 250,
      message: 'task completed after replication resumed',
    })
    const log = readWorkLog(agents).filter((e) => e.taskId === id)
    const twice = overlaps(workIntervals(log, Date.now()))
    expect(twice, `overlapping work: ${JSON.stringify(twice)}`).toEqual([])
    expect(duringHold.map((e) => e.agent), 'started while a live rival had not confirmed the claim').toEqual([])
    const runners = new Set(log.filter((e) => e.what === 'start').map((e) => e.agent))
    expect(runners.size).toBe(1)
    // Only the runner's puts reached the destination (the test destinations' copy logs).
    const copies: CopyLine[] = agents.flatMap((x) => {
      const f = path.join(x.dir, 'copy-log.jsonl')
      return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as CopyLine) : []
    }).filter((c) => c.taskId === id)
    expect(copies.length).toBeGreaterThanOrEqual(30)
    expect(new Set(copies.map((c) => c.agent))).toEqual(runners)
  }, 120_000)
})
