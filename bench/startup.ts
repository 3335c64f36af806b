/**
 * CLI start-up: how long an admin (or a script polling the CLI) waits for `mmesh` to answer, against bare
 * `node -e 0` on the same machine, in one run. Starts one real agent (bin/mmesh.js start, no mDNS, on
 * 127.0.0.1), imports 10,000 tasks from a generated Migration Manager CSV with local sources (the admin's
 * way), then runs the commands interleaved, N rounds (each round in a new random order), and prints each
 * median, its ratio to bare node and the targets of issue 14:
 *   mmesh --help ≤ 3× node;  mmesh agents, mmesh task show ID ≤ 5× node;
 *   mmesh task list --json (10,000 tasks) ≤ mmesh agents + 300 ms.
 *
 *   node bin/run-ts.js bench/startup.ts [--reps 21] [--tasks 10000] [--json]
 *
 * The CLI runs the build (dist/; built first if a source changed). Times are wall-clock from spawn to
 * exit, the output read through a pipe as a script would. The agent runs with --capacity 0 so none of the
 * tasks starts and the agent is idle while it is measured. Exits 1 when a target is missed.
 */
import '../bin/polyfill.js'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startBenchAgent } from './support/agent-process.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MMESH = path.join(ROOT, 'bin', 'mmesh.js')

function arg(name: string, dflt: number): number {
  const k = process.argv.indexOf(name)
  return k >= 0 ? Number(process.argv[k + 1]) : dflt
}
const REPS = arg('--reps', 21)
const TASKS = arg('--tasks', 10_000)
const asJson = process.argv.includes('--json')

// The CLI under test is the build: make sure it is the build of these sources.
const build = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'build.js'), '--if-stale'], { cwd: ROOT, stdio: 'inherit' })
if (build.status !== 0) throw new Error('the build failed')

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-startup-'))
const dataDir = path.join(tmp, 'data')
// No MMESH_* from the caller's shell: the agent and the commands run with their defaults.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MMESH_') && k !== 'NODE_OPTIONS')) as NodeJS.ProcessEnv

function mmesh(args: string[], timeout = 120_000): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MMESH, ...args], { env, encoding: 'utf8', timeout, maxBuffer: 256 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(`mmesh ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return { stdout: r.stdout, stderr: r.stderr }
}

/** A Migration Manager CSV (6 columns, no header) of `n` tasks: local folders to a local destination. */
function writeCsv(n: number): string {
  const src = path.join(tmp, 'shares')
  fs.mkdirSync(src)
  const rows: string[] = []
  for (let i = 0; i < n; i++) rows.push(`${path.join(src, `dept-${i}`)},,,file://${path.join(tmp, 'dest')},Documents,dept-${i}`)
  const file = path.join(tmp, 'tasks.csv')
  fs.writeFileSync(file, `${rows.join('\n')}\n`)
  return file
}

function startAgent(): Promise<() => Promise<void>> {
  return startBenchAgent(dataDir, ['--capacity', '0', '--source-root', path.join(tmp, 'shares'), '--dest-root', path.join(tmp, 'dest')])
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Wall-clock of one run, spawn to exit, its stdout read through a pipe. */
async function timeRun(args: string[]): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now()
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let bytes = 0
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (bytes += d.length))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)))
  const ms = performance.now() - t0
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${stderr}`)
  return { ms, bytes }
}

function shuffle<T>(xs: T[]): T[] {
  const a = [...xs]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}

const stop = await startAgent()
try {
  const csv = writeCsv(TASKS)
  const t0 = performance.now()
  const ids = mmesh(['task', 'import', csv, '--data', dataDir]).stdout.trim().split('\n')
  const importMs = performance.now() - t0
  if (ids.length !== TASKS) throw new Error(`imported ${ids.length} tasks, expected ${TASKS}`)
  const listed = JSON.parse(mmesh(['task', 'list', '--json', '--data', dataDir]).stdout) as unknown[]
  if (listed.length !== TASKS) throw new Error(`task list --json gave ${listed.length} tasks, expected ${TASKS}`)
  const someId = ids[Math.floor(ids.length / 2)]!

  const commands: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['mmesh --help', [MMESH, '--help']],
    ['mmesh agents', [MMESH, 'agents', '--data', dataDir]],
    ['mmesh task show ID', [MMESH, 'task', 'show', someId, '--data', dataDir]],
    [`mmesh task list --json (${TASKS})`, [MMESH, 'task', 'list', '--json', '--data', dataDir]],
  ]
  const times = new Map<string, number[]>(commands.map(([name]) => [name, []]))
  const bytes = new Map<string, number>()
  // One warm-up round (file cache, the agent's first views), not counted.
  for (const [, args] of commands) await timeRun(args)
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, args] of shuffle(commands)) {
      const r = await timeRun(args)
      times.get(name)!.push(r.ms)
      bytes.set(name, r.bytes)
    }
  }

  const med = new Map([...times].map(([k, v]) => [k, median(v)]))
  const node = med.get('node -e 0')!
  const m = (name: string) => med.get(name)!
  const listName = commands[4]![0]
  const targets = [
    { what: 'mmesh --help ≤ 3× node', ok: m('mmesh --help') <= 3 * node, value: `${(m('mmesh --help') / node).toFixed(2)}×` },
    { what: 'mmesh agents ≤ 5× node', ok: m('mmesh agents') <= 5 * node, value: `${(m('mmesh agents') / node).toFixed(2)}×` },
    { what: 'mmesh task show ≤ 5× node', ok: m('mmesh task show ID') <= 5 * node, value: `${(m('mmesh task show ID') / node).toFixed(2)}×` },
    { what: `task list --json ≤ agents + 300 ms`, ok: m(listName) <= m('mmesh agents') + 300, value: `+${(m(listName) - m('mmesh agents')).toFixed(0)} ms` },
  ]
  const env_ = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', load: os.loadavg().map((x) => x.toFixed(2)).join(' ') }
  if (asJson) {
    process.stdout.write(`${JSON.stringify({ env: env_, reps: REPS, tasks: TASKS, importMs: Math.round(importMs), medians: Object.fromEntries(med), bytes: Object.fromEntries(bytes), targets }, null, 2)}\n`)
  } else {
    const out = (s: string) => process.stdout.write(`${s}\n`)
    out(`Node ${env_.node}, ${env_.cpus} × ${env_.cpu}, load ${env_.load}; ${REPS} rounds, interleaved; import of ${TASKS} tasks took ${(importMs / 1000).toFixed(1)} s`)
    out('')
    out(`${'command'.padEnd(34)} ${'median'.padStart(8)} ${'× node'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)}  output`)
    for (const [name] of commands) {
      const xs = times.get(name)!
      out(`${name.padEnd(34)} ${`${m(name).toFixed(0)} ms`.padStart(8)} ${(m(name) / node).toFixed(2).padStart(7)} ${Math.min(...xs).toFixed(0).padStart(7)} ${Math.max(...xs).toFixed(0).padStart(7)}  ${((bytes.get(name) ?? 0) / 1024).toFixed(0)} KB`)
    }
    out('')
    for (const t of targets) out(`${t.ok ? 'PASS' : 'FAIL'}  ${t.what}: ${t.value}`)
  }
  process.exitCode = targets.every((t) => t.ok) ? 0 : 1
} finally {
  await stop()
  fs.rmSync(tmp, { recursive: true, force: true })
}
