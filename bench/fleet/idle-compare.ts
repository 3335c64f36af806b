/**
 * Idle CPU and traffic per agent of two fleets side by side, measured in the same window: one run from
 * another checkout (`--base DIR`, e.g. `git archive <commit> | tar -x -C DIR` with node_modules linked),
 * started first, and one from this checkout. Production heartbeat and anti-entropy periods. Used for
 * issue 18's idle figure (INTERNALS.md §3): two fleets at once so both see the same machine load.
 *
 *   node bin/run-ts.js bench/fleet/idle-compare.ts --base DIR [--agents 10] [--window-ms 30000]
 */
import path from 'node:path'
import { createFleet, type AgentProc, type Fleet } from '../../test/fixtures/fleet.ts'
import { cpuSeconds, tcpBytesByPid } from './proc-stats.ts'

const PRODUCTION_ENV = { MMESH_HEARTBEAT_MS: '2000', MMESH_ANTI_ENTROPY_MS: '3000', MMESH_LOG_LEVEL: 'warn' }

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : undefined
}

async function startFleet(fleet: Fleet, prefix: string, n: number): Promise<AgentProc[]> {
  const seed = await fleet.start(`${prefix}00`, { timeoutMs: 120_000 })
  const out = [seed]
  for (let i = 1; i < n; i++) out.push(await fleet.start(`${prefix}${String(i).padStart(2, '0')}`, { peers: [seed], timeoutMs: 120_000 }))
  await fleet.converged(out, { timeoutMs: 120_000 })
  return out
}

const base = arg('--base')
if (!base) throw new Error('--base DIR: a checkout of the version to compare against')
const n = Number(arg('--agents') ?? 10)
const windowMs = Number(arg('--window-ms') ?? 30_000)
const after = await createFleet({ env: PRODUCTION_ENV })
const baseFixture = (await import(path.resolve(base, 'test/fixtures/fleet.ts'))) as { Fleet: typeof after.constructor }
const keyed = await createFleet({ env: PRODUCTION_ENV })
const before = new (baseFixture.Fleet as unknown as new (root: string, key: string, env: Record<string, string>) => Fleet)(keyed.root, keyed.keyFile, PRODUCTION_ENV)
try {
  const sides: [string, AgentProc[]][] = [['before', await startFleet(before, 'a', n)], ['after', await startFleet(after, 'b', n)]]
  // converged and idle: let the last heartbeats and syncs of the start pass
  await new Promise((r) => setTimeout(r, 10_000))
  const pids = sides.flatMap(([, agents]) => agents.map((a) => a.proc!.pid!))
  const c0 = new Map(pids.map((p) => [p, cpuSeconds(p) ?? NaN]))
  const n0 = tcpBytesByPid()
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, windowMs))
  const secs = (performance.now() - t0) / 1000
  const n1 = tcpBytesByPid()
  for (const [side, agents] of sides) {
    const cpu = agents.map((a) => (((cpuSeconds(a.proc!.pid!) ?? NaN) - c0.get(a.proc!.pid!)!) / secs) * 100)
    const kb = agents.map((a) => ((n1.get(a.proc!.pid!) ?? 0) - (n0.get(a.proc!.pid!) ?? 0)) / secs / 1024)
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length
    console.log(`${side}: ${n} agents, idle CPU per agent mean ${mean(cpu).toFixed(2)} % max ${Math.max(...cpu).toFixed(2)} %; traffic mean ${mean(kb).toFixed(1)} KB/s max ${Math.max(...kb).toFixed(1)} KB/s (${secs.toFixed(1)} s)`)
  }
} finally {
  await before.cleanup().catch(() => {})
  await after.cleanup()
  await keyed.cleanup().catch(() => {})
}
