/**
 * Helpers for fleets of many agents (test/fleet/, bench/fleet/agents30.ts): start N agents with `--peer`
 * to two seeds, time until every agent lists every agent online, and run tasks imported on one agent
 * while checking the spread and the work log (no task worked on by two agents at once).
 */
import fs from 'node:fs'
import path from 'node:path'
import { waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { makeShare, overlaps, readWorkLog, workIntervals } from '../leases/lease-harness.ts'

export interface Row {
  target: string
  measured: string
  goal: string
  ok: boolean
}

/**
 * Two seeds, then the others in parallel batches, each with `--peer` to both seeds. Returns when every
 * agent printed its addresses; `lastUpAt` is when the last one did.
 */
export async function startAgents(fleet: Fleet, n: number, log: (l: string) => void, args: string[] = []): Promise<{ agents: AgentProc[]; lastUpAt: number; startS: number }> {
  const t0 = performance.now()
  const name = (i: number) => `a${String(i).padStart(2, '0')}`
  // A generous start timeout: on a shared 2-core machine a batch of tsx starts can take a minute.
  const timeoutMs = 240_000
  const s1 = await fleet.start(name(0), { args, timeoutMs })
  const agents = [s1]
  if (n > 1) agents.push(await fleet.start(name(1), { peers: [s1], args, timeoutMs }))
  const seeds = agents.slice(0, 2)
  // Batches of 6: each start costs a few CPU-seconds (tsx loading the sources), and 2 cores are shared.
  for (let i = 2; i < n; i += 6) {
    const batch: Promise<AgentProc>[] = []
    for (let j = i; j < Math.min(n, i + 6); j++) batch.push(fleet.start(name(j), { peers: seeds, args, timeoutMs }))
    agents.push(...(await Promise.all(batch)))
    log(`  ${agents.length} agents up`)
  }
  const lastUpAt = performance.now()
  return { agents, lastUpAt, startS: (lastUpAt - t0) / 1000 }
}

/** ms from `since` until every agent lists all of them online, or null after `timeoutMs`. */
export async function timeAllOnline(fleet: Fleet, agents: AgentProc[], since: number, timeoutMs: number): Promise<number | null> {
  try {
    await waitFor(async () => {
      const lists = await Promise.all(agents.map((a) => fleet.call<{ state: string }[]>(a, 'agents.list', {}, 10_000)))
      return lists.every((l) => l.filter((x) => x.state === 'online').length === agents.length)
    }, { timeoutMs, intervalMs: 250, message: 'every agent to list every agent online' })
    return performance.now() - since
  } catch {
    return null
  }
}

/**
 * Imports `count` tasks (Migration Manager's CSV, one small share each) on the first agent, waits until
 * all are completed, and checks the spread and the work log.
 */
export async function runTasks(fleet: Fleet, agents: AgentProc[], count: number, log: (l: string) => void, timeoutMs = 600_000): Promise<{ rows: Row[]; seconds: number; perAgent: Map<string, number>; overlapping: number }> {
  if (count === 0) return { rows: [], seconds: 0, perAgent: new Map(), overlapping: 0 }
  const src = fleet.tempDir('src')
  const dst = fleet.tempDir('dst')
  const rows = Array.from({ length: count }, (_, i) => `${makeShare(src, `s${i}`, 2)},,,file://${dst},lib,t${i}`)
  const csv = path.join(src, 'tasks.csv')
  fs.writeFileSync(csv, `${rows.join('\n')}\n`)
  const t0 = performance.now()
  const imported = await fleet.run(['task', 'import', csv], agents[0]!, { timeoutMs: 120_000 })
  if (imported.exitCode !== 0) throw new Error(`task import failed: ${imported.stderr}`)
  let lastLog = 0
  const tasks = await waitFor(async () => {
    const t = await fleet.call<{ status: string; agent: string | null }[]>(agents[0]!, 'task.list', {}, 30_000)
    const done = t.filter((x) => x.status === 'completed').length
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now()
      log(`  ${done}/${count} tasks completed`)
    }
    return t.length === count && done === count ? t : null
  }, { timeoutMs, intervalMs: 1000, message: `all ${count} tasks completed` })
  const seconds = (performance.now() - t0) / 1000
  const events = readWorkLog(agents)
  const twice = overlaps(workIntervals(events, Date.now()))
  const starts = new Map<string, number>()
  for (const e of events) if (e.what === 'start') starts.set(e.taskId, (starts.get(e.taskId) ?? 0) + 1)
  const restarted = [...starts.values()].filter((k) => k > 1).length
  const perAgent = new Map<string, number>()
  for (const t of tasks) perAgent.set(t.agent ?? '?', (perAgent.get(t.agent ?? '?') ?? 0) + 1)
  const counts = [...perAgent.values()]
  const per = { min: Math.min(...counts), max: Math.max(...counts) }
  return {
    seconds,
    perAgent,
    overlapping: twice.length,
    rows: [
      {
        target: `${count} tasks spread over all ${agents.length} agents`,
        measured: `done in ${seconds.toFixed(1)} s by ${perAgent.size} agents, ${per.min}–${per.max} tasks each`,
        goal: `all ${agents.length} agents work`,
        ok: perAgent.size === agents.length,
      },
      {
        target: `no task run by two agents at once`,
        measured: `${twice.length} overlapping pairs; ${restarted} tasks started more than once`,
        goal: '0 overlaps',
        ok: twice.length === 0,
      },
    ],
  }
}

