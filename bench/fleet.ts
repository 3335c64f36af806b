/**
 * bench:fleet — every responsiveness target of issue 18, each with its measured figure against the goal,
 * from real agent processes driven the way an admin drives them (the CLI and the control API), in one run:
 *
 *   migrate    one agent migrating into file:// against rsync -a (bench/fleet/migrate.ts)
 *   catchup    10,000 tasks imported and seen by peers; a fresh agent catching up 10,000 / 100,000 tasks;
 *              control API latency while it does (bench/fleet/catchup.ts)
 *   agents30   30 agents on one machine: all online, tasks spread with none run twice, idle traffic and CPU
 *              (bench/fleet/agents30.ts, runnable alone)
 *   tui        the fleet view's key press -> frame with 50,000 tasks (bench/tui.ts, the real ink app)
 *   sharepoint an unchanged rerun's requests against the emulator with throttling (bench/sharepoint.ts --rerun)
 *
 *   npm run bench:fleet [-- --only migrate,catchup] [--quick] [--fresh-ext4 GB] [--reps N]
 *                       [--big-tasks N (catchup's large ledger, 0 skips it)] [--agents N] [--tasks N (agents30)]
 *
 * --quick uses smaller sizes (a smoke run; figures are not the targets'). Exits 1 when a target is missed.
 */
import '../bin/polyfill.js'
import { spawnSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

interface Row {
  target: string
  measured: string
  goal: string
  ok: boolean
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const opt = (name: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : undefined)
const only = opt('only')?.split(',') ?? ['migrate', 'catchup', 'tui', 'sharepoint', 'agents30']
const quick = argv.includes('--quick')
const freshExt4 = opt('fresh-ext4') ? Number(opt('fresh-ext4')) : undefined
const num = (name: string) => (opt(name) === undefined ? undefined : Number(opt(name)))

const build = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'build.js'), '--if-stale'], { cwd: ROOT, stdio: 'inherit' })
if (build.status !== 0) throw new Error('the build failed')

console.log(`mmesh bench:fleet — node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString()}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`)

/** Runs a benchmark script as its own process; answers the last line it prints (its JSON). */
function child(script: string, args: string[]): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'run-ts.js'), script, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30 * 60_000, maxBuffer: 64 << 20 })
  process.stderr.write(r.stderr)
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}`)
  return r.stdout.trim().split('\n').pop() ?? ''
}

const sections: Record<string, () => Promise<Row[]>> = {
  migrate: async () => (await import('./fleet/migrate.ts')).run({ small: quick ? 2000 : 10_000, big: quick ? 2 : 10, reps: num('reps') ?? (quick ? 1 : 3), freshExt4Gb: freshExt4 }),
  catchup: async () => (await import('./fleet/catchup.ts')).run({ ...(quick ? { tasks: 2000, bigTasks: 0 } : {}), ...(num('big-tasks') !== undefined ? { bigTasks: num('big-tasks') } : {}) }),
  agents30: async () => (await import('./fleet/agents30.ts')).run({ agents: num('agents') ?? (quick ? 10 : 30), tasks: num('tasks') ?? (quick ? 50 : 1000) }),
  tui: async () => {
    const parsed = JSON.parse(child('bench/tui.ts', ['--json', '--tasks', quick ? '5000' : '50000', '--presses', quick ? '10' : '40'])) as { runs: Array<{ tasks: number; results: Record<string, { median: number; p95: number }> }> }
    const big = parsed.runs[parsed.runs.length - 1]!
    return Object.entries(big.results).map(([what, s]) => ({ target: `TUI, ${big.tasks} tasks: ${what}`, measured: `median ${s.median} ms, p95 ${s.p95} ms`, goal: 'key press -> frame < 100 ms', ok: s.median < 100 }))
  },
  sharepoint: async () => {
    const last = child('bench/sharepoint.ts', ['--skip-conc', '--skip-fleet', '--rerun', '--rerun-reps', String(num('reps') ?? (quick ? 1 : 3)), '--json-rows'])
    try {
      return JSON.parse(last) as Row[]
    } catch {
      return [{ target: 'SharePoint unchanged rerun', measured: `no rows (${last.slice(0, 80)})`, goal: '<= 1 request per 500 items + 1 per throttle', ok: false }]
    }
  },
}

const rows: Row[] = []
for (const name of only) {
  const section = sections[name]
  if (!section) throw new Error(`--only: no section ${name} (sections: ${Object.keys(sections).join(', ')})`)
  console.log(`\n## ${name}`)
  try {
    const got = await section()
    for (const r of got) console.log(`${r.ok ? 'ok  ' : 'MISS'} ${r.target}: ${r.measured} (goal ${r.goal})`)
    rows.push(...got)
  } catch (err) {
    console.log(`MISS ${name}: failed: ${err instanceof Error ? err.message : String(err)}`)
    rows.push({ target: name, measured: 'failed', goal: 'runs', ok: false })
  }
}
const missed = rows.filter((r) => !r.ok)
console.log(`\n${rows.length - missed.length} of ${rows.length} targets met; load at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`)
process.exit(missed.length === 0 ? 0 : 1)
