/**
 * Issue 18: a fleet past 30 agents on one machine. Agents as processes on 127.0.0.1, `--no-mdns`, each
 * with `--peer` to two seeds, the production heartbeat (2 s). Every agent must list every agent online
 * within 20 s of the last one being up (before the fix: gossipsub's IP colocation penalty graylisted
 * every peer past 10 on one IP, and each agent listed only itself), and tasks imported on one agent must
 * spread over all agents with none worked on by two at once.
 *
 * The count: MMESH_FLEET_TEST_AGENTS, default 16 (from 16 agents on one IP the old penalty graylisted
 * every peer; 16 ran in ~51 s here). Starting a test agent costs ~3 CPU-seconds (tsx loading the
 * sources), so 30 cost ~90 CPU-seconds before the test proper on a 2-core CI machine shared with other
 * jobs (a start took over 90 s at load 50); bench/fleet/agents30.ts runs 30 and 1,000 tasks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { runTasks, startAgents, timeAllOnline } from './fleet-scale.ts'

const N = Number(process.env.MMESH_FLEET_TEST_AGENTS ?? 16)
const TASKS = 4 * N

let fleet: Fleet
let agents: AgentProc[]
let lastUpAt = 0

beforeAll(async () => {
  fleet = await createFleet({ env: { MMESH_HEARTBEAT_MS: '2000', MMESH_ANTI_ENTROPY_MS: '3000', MMESH_TEST_FILE_DELAY_MS: '20' } })
  const started = await startAgents(fleet, N, () => {})
  agents = started.agents
  lastUpAt = started.lastUpAt
}, 180_000)

afterAll(async () => {
  await fleet?.cleanup()
})

describe(`a fleet of ${N} agents on one machine`, () => {
  it('every agent lists every agent online within 20 s of the last start', async () => {
    const ms = await timeAllOnline(fleet, agents, lastUpAt, 20_000)
    expect(ms, 'ms until all online (null: not within 20 s)').not.toBeNull()
    expect(ms!).toBeLessThanOrEqual(20_000)
  }, 30_000)

  it(`${TASKS} tasks spread over every agent, none worked on by two agents at once`, async () => {
    const r = await runTasks(fleet, agents, TASKS, () => {}, 150_000)
    expect(r.overlapping).toBe(0)
    expect(r.perAgent.size).toBe(N)
    await fleet.converged(agents, { timeoutMs: 60_000 })
  }, 240_000)
})
