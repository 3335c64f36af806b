/**
 * Where the fleet's CPU goes per task (issue 18): N agents as in agents30.ts (production heartbeat,
 * MMESH_TEST_FILE_DELAY_MS=20), `tasks` tasks imported on the first, and the agents' total CPU-seconds
 * (/proc/PID/stat) per task, with the completion rate over time. `--profile K` runs K agents (from number
 * `--profile-from`, default 0) with `--cpu-prof` into `--prof-dir` (written when they stop, at the end).
 *
 *   node bin/run-ts.js bench/fleet/cpu-per-task.ts --agents 30 --tasks 300 [--profile 2 --profile-from 5 --prof-dir DIR]
 */
import path from 'node:path'
import { createFleet, waitFor, type AgentProc } from '../../test/fixtures/fleet.ts'
import { makeShare } from '../../test/leases/lease-harness.ts'
import fs from 'node:fs'
import { cpuSeconds } from './proc-stats.ts'

const args = process.argv.slice(2)
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1]! : dflt
}
const n = Number(opt('agents', '10'))
const count = Number(opt('tasks', '400'))
const profile = Number(opt('profile', '0'))
const profileFrom = Number(opt('profile-from', '0'))
const profDir = path.resolve(opt('prof-dir', '/tmp/fleetcpu/prof'))
const log = (l: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${l}`)

const fleet = await createFleet({ env: { MMESH_HEARTBEAT_MS: '2000', MMESH_ANTI_ENTROPY_MS: '3000', MMESH_TEST_FILE_DELAY_MS: '20' } })
const agents: AgentProc[] = []
try {
  const name = (i: number) => `a${String(i).padStart(2, '0')}`
  // The fixture runs `PREFIX… node test-agent.ts …`; --cpu-prof is refused in NODE_OPTIONS, so a shell puts it after node.
  const cpuProf = ['/bin/sh', '-c', `exec "$0" --cpu-prof --cpu-prof-dir='${profDir}' "$@"`]
  const prefixFor = (i: number) => (i >= profileFrom && i < profileFrom + profile ? cpuProf : undefined)
  if (profile > 0) fs.mkdirSync(profDir, { recursive: true })
  agents.push(await fleet.start(name(0), { prefix: prefixFor(0), timeoutMs: 240_000 }))
  if (n > 1) agents.push(await fleet.start(name(1), { peers: [agents[0]!], prefix: prefixFor(1), timeoutMs: 240_000 }))
  const seeds = agents.slice(0, 2)
  for (let i = 2; i < n; i += 6) {
    const batch: Promise<AgentProc>[] = []
    for (let j = i; j < Math.min(n, i + 6); j++) batch.push(fleet.start(name(j), { peers: seeds, prefix: prefixFor(j), timeoutMs: 240_000 }))
    agents.push(...(await Promise.all(batch)))
  }
  log(`${n} agents up`)
  await waitFor(async () => {
    const lists = await Promise.all(agents.map((a) => fleet.call<{ state: string }[]>(a, 'agents.list', {}, 10_000)))
    return lists.every((l) => l.filter((x) => x.state === 'online').length === agents.length)
  }, { timeoutMs: 120_000, intervalMs: 500 })
  log('all online')
  const pids = agents.map((a) => a.proc!.pid!)
  const cpuAll = () => pids.reduce((s, p) => s + (cpuSeconds(p) ?? 0), 0)
  const idle0 = cpuAll()
  await new Promise((r) => setTimeout(r, 10_000))
  const idle1 = cpuAll()
  log(`idle CPU per agent: ${(((idle1 - idle0) / 10 / n) * 100).toFixed(2)} % of a core`)

  const src = fleet.tempDir('src')
  const dst = fleet.tempDir('dst')
  const rows = Array.from({ length: count }, (_, i) => `${makeShare(src, `s${i}`, 2)},,,file://${dst},lib,t${i}`)
  const csv = path.join(src, 'tasks.csv')
  fs.writeFileSync(csv, `${rows.join('\n')}\n`)
  const c0 = cpuAll()
  const t0 = performance.now()
  const imported = await fleet.run(['task', 'import', csv], agents[0]!, { timeoutMs: 120_000 })
  if (imported.exitCode !== 0) throw new Error(`task import failed: ${imported.stderr}`)
  let lastDone = 0
  let lastT = t0
  let lastC = c0
  let lastLog = 0
  await waitFor(async () => {
    const t = await fleet.call<{ status: string }[]>(agents[0]!, 'task.list', {}, 60_000)
    const done = t.filter((x) => x.status === 'completed').length
    const now = performance.now()
    if (now - lastLog > 15_000 || done === count) {
      const c = cpuAll()
      log(`${done}/${count} done at ${((now - t0) / 1000).toFixed(0)} s; last interval ${((done - lastDone) / ((now - lastT) / 1000)).toFixed(2)} tasks/s, ${((c - lastC) / Math.max(1, done - lastDone)).toFixed(2)} CPU-s/task; load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`)
      lastLog = now
      lastDone = done
      lastT = now
      lastC = c
    }
    return done === count
  }, { timeoutMs: 3_600_000, intervalMs: 2000 })
  const secs = (performance.now() - t0) / 1000
  const c1 = cpuAll()
  log(`RESULT ${n} agents ${count} tasks: ${secs.toFixed(1)} s, ${(count / secs).toFixed(2)} tasks/s, ${(c1 - c0).toFixed(1)} agent CPU-s, ${((c1 - c0) / count).toFixed(3)} CPU-s/task`)
  const i0 = cpuAll()
  await new Promise((r) => setTimeout(r, 10_000))
  log(`idle CPU per agent after: ${(((cpuAll() - i0) / 10 / n) * 100).toFixed(2)} % of a core`)
  if (profile > 0) {
    // SIGTERM straight to the process (fleet.kill's execa kills with SIGKILL 2 s later, before a profile is written)
    await Promise.all(agents.slice(profileFrom, profileFrom + profile).map(async (a) => {
      process.kill(a.proc!.pid!, 'SIGTERM')
      await waitFor(() => cpuSeconds(a.proc!.pid!) === undefined || a.proc!.exitCode !== null, { timeoutMs: 120_000, intervalMs: 500 }).catch(() => {})
    }))
    log(`profiles in ${profDir}`)
  }
} finally {
  await fleet.cleanup()
}
