/**
 * bench/sharepoint: the engine migrating into the SharePoint emulator through the real @pnp/sp and
 * @azure/msal-node clients.
 *   1. N files of 16 KB with 50 ms latency per request, at agent request concurrency 1, 4, 16: files/s as
 *      a ratio to the bound the latency allows (concurrency / latency / requests per file, requests per
 *      file counted at the emulator).
 *   2. The same work on 1 agent (one process running 4 tasks, per-agent cap C) and on 4 agents (4 processes,
 *      one task each, same cap): speedup and CPU.
 *   3. --throttle: 2,000 files with 30% of requests answered 429 (Retry-After 1-3 s, seconds and dates).
 *
 *   node bin/run-ts.js bench/sharepoint.ts [--files 5000] [--latency 50] [--conc 1,4,16] [--fleet-conc 16]
 *                                          [--skip-conc] [--skip-fleet] [--throttle] [--throttle-files 2000]
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { Level } from 'level'
import pLimit from 'p-limit'
import { startSpEmulator, type SpEmulator } from '../test/fixtures/sp-emulator/index.ts'
import { trustCaInThisProcess } from '../test/fixtures/sp-emulator/trust.ts'
import { loadCredentials } from '../node/auth/credentials.ts'
import { createCertificateTokenProvider } from '../node/auth/token-provider.ts'
import { createSharePointDestination } from '../node/destinations/sharepoint/index.ts'
import { createPacer } from '../node/destinations/sharepoint/pacing.ts'
import { runTaskRound } from '../node/engine/round.ts'
import { createItemStore } from '../node/items/store.ts'
import { DEFAULT_SETTINGS } from '../protocol/settings.ts'
import type { EngineJob } from '../node/engine/types.ts'

const argv = process.argv.slice(2)
const num = (name: string, def: number) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : def)
const list = (name: string, def: number[]) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1]!.split(',').map(Number) : def)

interface WorkerArgs {
  siteUrl: string
  shares: { root: string; folder: string; taskId: string; folders: number }[]
  conc: number
  dbDir: string
  /** epoch ms: start the rounds together (after each process has started and signed in) */
  startAt?: number
}
interface WorkerResult {
  files: number
  failed: number
  secs: number
  cpuMs: number
  /** epoch ms of the round's start and end, to measure several processes' wall time without their start-up */
  start: number
  end: number
}

function job(root: string, taskId: string): EngineJob {
  return {
    taskId, round: 0, epoch: 1, sourceRoot: root, device: 'bench', settings: { ...DEFAULT_SETTINGS },
    spec: { v: 1, id: taskId, name: taskId, source: root, destination: { url: 'https://x', library: 'Documents', folder: null }, group: 'Default', settings: {}, createdAt: new Date().toISOString(), createdBy: '12D3KooWBenchAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
  }
}

/** One agent: its tasks share one pacer (the per-agent request cap) and one file limiter. */
async function runAgent(a: WorkerArgs): Promise<WorkerResult> {
  const creds = (await loadCredentials(undefined, process.env))!
  const tokens = createCertificateTokenProvider(creds)
  const pacer = createPacer({ maxInFlight: a.conc })
  const db = new Level<string, string>(a.dbDir)
  await db.open()
  const items = createItemStore(db)
  const limiter = pLimit(Math.max(32, a.conc * 3))
  const dests = await Promise.all(a.shares.map(async (s) => {
    const dest = createSharePointDestination({ siteUrl: a.siteUrl, library: 'Documents', folder: s.folder, tokenProvider: tokens, pacer, version: 'bench' })
    await dest.open(AbortSignal.timeout(120_000))
    return dest
  }))
  if (a.startAt) await new Promise((r) => setTimeout(r, Math.max(0, a.startAt! - Date.now())))
  const cpu0 = process.cpuUsage()
  const start = Date.now()
  const t0 = performance.now()
  const results = await Promise.all(a.shares.map(async (s, i) => {
    const dest = dests[i]!
    return runTaskRound(job(s.root, s.taskId), {
      destination: dest, items, limiter, leaseHeld: () => true, onProgress: () => {}, onCheckpoint: () => {},
      signal: AbortSignal.timeout(3_600_000), clock: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      tuning: { taskConcurrency: Math.max(16, a.conc * 3) },
    })
  }))
  const secs = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  await db.close()
  return {
    // counts cover files and folders; the bench counts files only (folders are one per 100 files)
    files: results.reduce((n, r) => n + r.counts.migrated, 0) - a.shares.reduce((n, s) => n + s.folders, 0), failed: results.reduce((n, r) => n + r.counts.failed, 0),
    secs, cpuMs: (cpu.user + cpu.system) / 1000, start, end: Date.now(),
  }
}

if (argv[0] === '--worker') {
  const r = await runAgent(JSON.parse(argv[1]!) as WorkerArgs)
  process.stdout.write(JSON.stringify(r))
  process.exit(0)
}

async function makeShare(root: string, files: number, kb: number, perFolder = 100): Promise<void> {
  const data = randomBytes(kb * 1024)
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, `f${Math.floor(i / perFolder)}`)
    if (i % perFolder === 0) await mkdir(dir, { recursive: true })
    const p = path.join(dir, `file-${i}.bin`)
    data.writeUInt32LE(i, 0)
    await writeFile(p, data)
    await utimes(p, 1_600_000_000 + i, 1_600_000_000 + i)
  }
}

function worker(emu: SpEmulator, env: Record<string, string>, a: WorkerArgs): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    // MMESH_BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the agent processes
    const nodeArgs = (process.env.MMESH_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
    execFile('node', [...nodeArgs, 'bin/run-ts.js', 'bench/sharepoint.ts', '--worker', JSON.stringify(a)], {
      env: { ...process.env, ...env, NODE_EXTRA_CA_CERTS: emu.caFile }, maxBuffer: 1 << 20, timeout: 3_600_000,
    }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as WorkerResult)))
  })
}

const files = num('files', 5000)
const latency = num('latency', 50)
const base = await mkdtemp(path.join(tmpdir(), 'mmesh-spbench-'))
const emu = await startSpEmulator({ dir: path.join(base, 'emu'), faults: { latencyMs: latency } })
await trustCaInThisProcess(emu.caPem)
const app = emu.issueAppCredentials()
const pem = path.join(base, 'app.pem')
await writeFile(pem, app.cert.pem)
const env = { MMESH_TENANT_ID: app.tenantId, MMESH_CLIENT_ID: app.clientId, MMESH_CERT_FILE: pem, MMESH_AUTHORITY: emu.authority }
Object.assign(process.env, env)
const out = (s: string) => process.stdout.write(`${s}\n`)
const { loadavg, cpus } = await import('node:os')
out(`bench/sharepoint: node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start, ${files} files of 16 KB, ${latency} ms latency per request, emulator ${emu.url}`)

try {
  if (!argv.includes('--skip-conc')) {
    const root = path.join(base, 'share')
    await makeShare(root, files, 16)
    out('\n1. one agent, request concurrency C (files/s vs the bound C / latency / requests-per-file)')
    out('   C   files  secs    files/s  req/file  bound/s  ratio')
    for (const conc of list('conc', [1, 4, 16])) {
      emu.resetStats()
      const e0 = process.cpuUsage()
      // the agent runs in its own process, as in production; the emulator keeps this one
      const r = await worker(emu, env, { siteUrl: emu.sites.dev, shares: [{ root, folder: `conc${conc}`, taskId: `t-conc${conc}`, folders: Math.ceil(files / 100) }], conc, dbDir: path.join(base, `db-conc${conc}`) })
      const perFile = emu.stats.requests / Math.max(1, r.files)
      const bound = conc / (latency / 1000) / perFile
      const rate = r.files / r.secs
      const e1 = process.cpuUsage(e0)
      const cpuPerReq = r.cpuMs / emu.stats.requests
      const emuPerReq = (e1.user + e1.system) / 1000 / emu.stats.requests
      out(`  ${String(conc).padStart(2)}  ${String(r.files).padStart(5)}  ${r.secs.toFixed(1).padStart(6)}  ${rate.toFixed(1).padStart(7)}  ${perFile.toFixed(2).padStart(8)}  ${bound.toFixed(1).padStart(7)}  ${(rate / bound).toFixed(2)}  (CPU per request: agent ${cpuPerReq.toFixed(2)} ms, emulator ${emuPerReq.toFixed(2)} ms)${r.failed ? `  (${r.failed} failed)` : ''}`)
    }
  }

  if (!argv.includes('--skip-fleet')) {
    const conc = num('fleet-conc', 16)
    const shares = await Promise.all([0, 1, 2, 3].map(async (i) => {
      const root = path.join(base, `fleet${i}`)
      await makeShare(root, Math.ceil(files / 4), 16)
      return { root, taskId: `t-fleet${i}`, folders: Math.ceil(Math.ceil(files / 4) / 100) }
    }))
    out(`\n2. the same ${files} files as 4 tasks: 1 agent (one process) vs 4 agents (4 processes), per-agent cap ${conc}`)
    const cpuEmu0 = process.cpuUsage()
    emu.resetStats()
    const one = await worker(emu, env, { siteUrl: emu.sites.dev, conc, dbDir: path.join(base, 'db-one'), shares: shares.map((s) => ({ ...s, folder: `one/${s.taskId}` })) })
    const emuOne = process.cpuUsage(cpuEmu0)
    const cpuEmu1 = process.cpuUsage()
    const t0 = performance.now()
    const startAt = Date.now() + 20_000
    const four = await Promise.all(shares.map((s, i) => worker(emu, env, { siteUrl: emu.sites.dev, conc, startAt, dbDir: path.join(base, `db-four${i}`), shares: [{ ...s, taskId: `${s.taskId}-4`, folder: `four/${s.taskId}` }] })))
    void t0
    const wall4 = (Math.max(...four.map((r) => r.end)) - Math.min(...four.map((r) => r.start))) / 1000
    const emuFour = process.cpuUsage(cpuEmu1)
    const f4 = four.reduce((n, r) => n + r.files, 0)
    const cpu4 = four.reduce((n, r) => n + r.cpuMs, 0)
    out(`  1 agent : ${one.files} files in ${one.secs.toFixed(1)} s = ${(one.files / one.secs).toFixed(1)} files/s; agent CPU ${(one.cpuMs / 1000).toFixed(1)} s, emulator CPU ${((emuOne.user + emuOne.system) / 1e6).toFixed(1)} s`)
    if (Math.min(...four.map((r) => r.start)) > startAt + 1000) out('  (the 4 processes were late for the common start: raise the 20 s head start on a loaded machine)')
    out(`  4 agents: ${f4} files in ${wall4.toFixed(1)} s = ${(f4 / wall4).toFixed(1)} files/s; agents CPU ${(cpu4 / 1000).toFixed(1)} s total, emulator CPU ${((emuFour.user + emuFour.system) / 1e6).toFixed(1)} s`)
    out(`  speedup ${((f4 / wall4) / (one.files / one.secs)).toFixed(2)}x (failed: ${one.failed} + ${four.reduce((n, r) => n + r.failed, 0)})`)
  }

  if (argv.includes('--throttle')) {
    const n = num('throttle-files', 2000)
    const root = path.join(base, 'throttle')
    await makeShare(root, n, 2)
    emu.setFaults({ throttleRate: 0.3, retryAfterSec: [1, 3], retryAfterDateRate: 0.5 })
    emu.resetStats()
    out(`\n3. ${n} files, 30% of requests answered 429 (Retry-After 1-3 s, half as HTTP dates), no added latency`)
    const r = await worker(emu, env, { siteUrl: emu.sites.dev, shares: [{ root, folder: 'throttle', taskId: 't-throttle', folders: Math.ceil(n / 100) }], conc: 16, dbDir: path.join(base, 'db-throttle') })
    out(`  ${r.files} migrated, ${r.failed} failed in ${r.secs.toFixed(1)} s; ${emu.stats.requests} requests, ${emu.stats.throttled} throttled, uploads at the emulator ${emu.stats.uploads}`)
  }
  out(`\nload average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on this machine skews wall-clock figures; CPU seconds less so)`)
} finally {
  await emu.stop()
  await rm(base, { recursive: true, force: true })
}
