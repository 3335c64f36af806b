/**
 * Issue 18: the fleet past 30 agents. Starts real agents as processes on 127.0.0.1 (the test fixture:
 * `--no-mdns`, `--peer` to two seeds), with the production heartbeat and anti-entropy periods unless told
 * otherwise, and measures:
 *   - how long after the last agent was up every agent lists every agent online (`agents.list`);
 *   - idle gossip traffic (TCP bytes received + sent per agent per second, from `ss`) and idle CPU per
 *     agent (/proc/PID/stat), once converged, with no tasks and again with `tasks` tasks done;
 *   - `tasks` tasks imported on one agent spread over all agents, none worked on by two agents at once
 *     (the test agents' work log, test/leases/lease-harness.ts).
 *
 *   node bin/run-ts.js bench/fleet/agents30.ts [--agents 30] [--tasks 1000]
 */
import path from 'node:path'
import { createFleet, type AgentProc } from '../../test/fixtures/fleet.ts'
import { runTasks, startAgents, timeAllOnline, type Row } from '../../test/fleet/fleet-scale.ts'
import { sampleIdle, stats } from './proc-stats.ts'

export type { Row }

export interface RunOptions {
  agents?: number
  tasks?: number
  /** extra environment for every agent (e.g. a shorter MMESH_HEARTBEAT_MS) */
  env?: Record<string, string>
  /** idle sampling window */
  idleWindowMs?: number
  log?: (line: string) => void
}

/** Goals of issue 18. */
const ONLINE_GOAL_MS = 20_000
/** Idle traffic per agent, received + sent: a heartbeat of every peer and a digest every few seconds. */
const IDLE_BYTES_GOAL = 64 * 1024
/** "Does not grow with the number of tasks": the idle figure with tasks within this factor of without. */
const IDLE_GROWTH_GOAL = 1.5
/** Idle CPU per agent, share of one core. */
const IDLE_CPU_GOAL = 0.05

/** Production timings: the fixture's TEST_ENV shortens them, which would make the idle figures a test's. */
const PRODUCTION_ENV = { MMESH_HEARTBEAT_MS: '2000', MMESH_ANTI_ENTROPY_MS: '3000' }

export async function run(opts: RunOptions = {}): Promise<Row[]> {
  const n = opts.agents ?? 30
  const taskCount = opts.tasks ?? 1000
  const log = opts.log ?? ((line: string) => console.error(line))
  const windowMs = opts.idleWindowMs ?? 20_000
  const fleet = await createFleet({ env: { ...PRODUCTION_ENV, MMESH_TEST_FILE_DELAY_MS: '20', ...(opts.env ?? {}) } })
  const rows: Row[] = []
  const push = (...rs: Row[]) => {
    for (const r of rs) log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.target}: ${r.measured} (goal ${r.goal})`)
    rows.push(...rs)
  }
  try {
    const { agents, lastUpAt, startS } = await startAgents(fleet, n, log)
    log(`${n} agents up in ${startS.toFixed(1)} s`)
    const onlineMs = await timeAllOnline(fleet, agents, lastUpAt, 120_000)
    push({
      target: `${n} agents: every agent lists all ${n} online`,
      measured: onlineMs === null ? `not within 120 s` : `${(onlineMs / 1000).toFixed(1)} s after the last agent was up`,
      goal: `≤ ${ONLINE_GOAL_MS / 1000} s`,
      ok: onlineMs !== null && onlineMs <= ONLINE_GOAL_MS,
    })
    await fleet.converged(agents, { timeoutMs: 60_000 })
    const idle0 = await idle(agents, windowMs)
    log(`idle, 0 tasks: ${fmtIdle(idle0)}`)

    const spread = await runTasks(fleet, agents, taskCount, log, 1_800_000)
    push(...spread.rows)
    await fleet.converged(agents, { timeoutMs: 120_000 })
    // Let the last checkpoints and item replications settle before calling the fleet idle.
    await new Promise((r) => setTimeout(r, 5000))
    const idleN = await idle(agents, windowMs)
    log(`idle, ${taskCount} tasks: ${fmtIdle(idleN)}`)

    const kb = (b: number) => `${(b / 1024).toFixed(1)} KB/s`
    push({
      target: `idle gossip per agent, 0 tasks (received + sent)`,
      measured: `mean ${kb(idle0.bytes.mean)}, max ${kb(idle0.bytes.max)}`,
      goal: `≤ ${kb(IDLE_BYTES_GOAL)} each`,
      ok: idle0.bytes.max <= IDLE_BYTES_GOAL,
    })
    push({
      target: `idle gossip per agent, ${taskCount} tasks done`,
      measured: `mean ${kb(idleN.bytes.mean)}, max ${kb(idleN.bytes.max)} (${(idleN.bytes.mean / Math.max(1, idle0.bytes.mean)).toFixed(2)}× the 0-task mean)`,
      goal: `≤ ${kb(IDLE_BYTES_GOAL)} each and ≤ ${IDLE_GROWTH_GOAL}× the 0-task mean`,
      ok: idleN.bytes.max <= IDLE_BYTES_GOAL && idleN.bytes.mean <= IDLE_GROWTH_GOAL * Math.max(1, idle0.bytes.mean),
    })
    const pct = (c: number) => `${(c * 100).toFixed(2)} %`
    push({
      target: `idle CPU per agent (share of one core), 0 / ${taskCount} tasks`,
      measured: `mean ${pct(idle0.cpu.mean)} / ${pct(idleN.cpu.mean)}, max ${pct(idle0.cpu.max)} / ${pct(idleN.cpu.max)}`,
      goal: `≤ ${pct(IDLE_CPU_GOAL)} each`,
      ok: Math.max(idle0.cpu.max, idleN.cpu.max) <= IDLE_CPU_GOAL,
    })
  } finally {
    await fleet.cleanup()
  }
  return rows
}

interface Idle {
  bytes: { mean: number; max: number; min: number }
  cpu: { mean: number; max: number; min: number }
}

async function idle(agents: AgentProc[], windowMs: number): Promise<Idle> {
  const pids = agents.map((a) => a.proc!.pid!)
  const s = await sampleIdle(pids, windowMs)
  return { bytes: stats(s.bytesPerS), cpu: stats(s.cpu) }
}

function fmtIdle(i: Idle): string {
  return `bytes/s mean ${i.bytes.mean.toFixed(0)} min ${i.bytes.min.toFixed(0)} max ${i.bytes.max.toFixed(0)}; cpu mean ${(i.cpu.mean * 100).toFixed(2)} % max ${(i.cpu.max * 100).toFixed(2)} %`
}

function parseArgs(argv: string[]): RunOptions {
  const o: RunOptions = {}
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--agents') o.agents = Number(argv[++i])
    else if (argv[i] === '--tasks') o.tasks = Number(argv[++i])
    else if (argv[i] === '--window-ms') o.idleWindowMs = Number(argv[++i])
  }
  return o
}

if (import.meta.url === `file://${path.resolve(process.argv[1] ?? '')}`) {
  const rows = await run(parseArgs(process.argv.slice(2)))
  for (const r of rows) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.target}: ${r.measured} (goal ${r.goal})`)
  process.exitCode = rows.every((r) => r.ok) ? 0 : 1
}
