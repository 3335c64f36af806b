/**
 * bench/fleet/migrate: one real agent migrating into a `file://` folder, driven the way an admin drives it
 * (`mmesh task add`, then the task's status through the control API, as `mmesh task show` reads it), side
 * by side with `rsync -a` of the same tree, interleaved in one run. Two figures per tree (issue 18):
 *   - the task's own time: the ledger's startedAt → finishedAt, against rsync (goal ≥ 1.0×);
 *   - end to end: from `task add` returning to the task first seen completed (polled every 10 ms over the
 *     control socket), against rsync (goal ≥ 0.8×).
 *
 *   node bin/run-ts.js bench/fleet/migrate.ts [--small 10000] [--small-kb 4] [--big 10] [--big-mb 100]
 *                                             [--reps 3] [--fresh-ext4 GB] [--dir DIR] [--baseline CHECKOUT]
 *                                             [--durability]
 *
 * The trees and the copies live on --dir (default /tmp/mmesh-fleet-migrate) or, with --fresh-ext4, on a new
 * journaled ext4 image (root only); the agent's data dir is on the machine's disk. The source is read once
 * before timing (page cache), `sync` runs before each contender, and each copy is removed (and trimmed)
 * once timed (clearCopy). --baseline runs a second agent from
 * another built checkout (e.g. `git archive main` + `node bin/build.js`) into the same file system, taking
 * turns with this one and rsync, so a change is measured before/after in one run under the same load.
 * --durability adds one more agent for reference, not for the goals: this build with the file://
 * destination's flushes off (flushesOffBuild), so what durability costs is measured in the same run. The
 * bench prints rsync's CPU (its children's included) beside the agents'.
 */
import '../../bin/polyfill.js'
import { execFile, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { mkdir, open, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { callAgent } from '../../api/client.ts'
import { mountFreshExt4, type FreshExt4 } from '../support/fresh-ext4.ts'
import { startBenchAgent } from '../support/agent-process.ts'
import { childrenCpuSeconds, cpuSeconds, threadCpu, threadCpuSplit } from './proc-stats.ts'

const run = promisify(execFile)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const MMESH = path.join(ROOT, 'bin', 'mmesh.js')

export interface Row {
  target: string
  measured: string
  goal: string
  ok: boolean
}

export interface MigrateOptions {
  small?: number
  smallKb?: number
  big?: number
  bigMb?: number
  reps?: number
  freshExt4Gb?: number
  dir?: string
  /** another built checkout whose agent runs alongside (before/after) */
  baseline?: string
  /** also run this build with the file:// flushes off, for reference */
  durability?: boolean
  log?: (line: string) => void
}

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MMESH_') && k !== 'NODE_OPTIONS')) as NodeJS.ProcessEnv

function mmesh(args: string[], bin = MMESH): string {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(`mmesh ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

function startAgent(dataDir: string, sourceRoot: string, destRoot: string, bin = MMESH): Promise<(() => Promise<void>) & { pid: number }> {
  return startBenchAgent(dataDir, ['--source-root', sourceRoot, '--dest-root', destRoot], bin)
}

/** An agent taking part: this checkout's, or the --baseline one's. */
interface Contender {
  name: string
  dataDir: string
  bin: string
  /** the agent's process id, once started */
  pid?: number
  /** measured for reference (--durability), not held to the goals */
  reference?: boolean
}

/**
 * --durability's agent: a copy of this build (bin, dist, package.json; node_modules linked) whose file://
 * destination skips its flushes, as file.ts's `fsync: false` does for bench/engine.ts --durability. No
 * agent can be told to skip them (ARCHITECTURE.md, step 5), so the copy has that one line changed.
 */
function flushesOffBuild(tmp: string): string {
  const dir = path.join(tmp, 'flushes-off')
  for (const part of ['bin', 'dist', 'package.json']) fs.cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true })
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'))
  const file = path.join(dir, 'dist', 'agent', 'destinations', 'file.js')
  const line = 'const sync = options.fsync !== false;'
  const text = fs.readFileSync(file, 'utf8')
  if (!text.includes(line)) throw new Error(`--durability: ${file} no longer holds "${line}": update flushesOffBuild in bench/fleet/migrate.ts`)
  fs.writeFileSync(file, text.replace(line, 'const sync = false;'))
  return path.join(dir, 'bin', 'mmesh.js')
}

async function makeSmallTree(dir: string, files: number, kb: number): Promise<void> {
  const content = randomBytes(kb * 1024)
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `d${String(Math.floor(i / 1000)).padStart(3, '0')}`)
    if (i % 1000 === 0) await mkdir(sub, { recursive: true })
    content.writeUInt32LE(i, 0)
    await writeFile(path.join(sub, `f${i}.dat`), content)
  }
}

async function makeBigTree(dir: string, files: number, mb: number): Promise<void> {
  await mkdir(dir, { recursive: true })
  const block = randomBytes(1 << 20)
  for (let i = 0; i < files; i++) {
    const fh = await open(path.join(dir, `big${i}.bin`), 'w')
    for (let m = 0; m < mb; m++) {
      block.writeUInt32LE(i * 100000 + m, 0)
      await fh.write(block)
    }
    await fh.close()
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ')

interface TaskTimes {
  own: number
  endToEnd: number
  /** `task add` returning → the round's start in the ledger */
  beforeStart: number
  /** the round's finish in the ledger → first seen completed */
  afterFinish: number
  /** CPU seconds (utime + stime, worker threads included) the agent process spent from `task add` to completed */
  cpu: number
  /** the same by thread, user+system seconds: the main thread, then the busiest others */
  threads: string
}

/** `task add` through the CLI, then the status through the control API until completed. */
async function migrate(dataDir: string, src: string, destRoot: string, folder: string, bin = MMESH, pid = 0): Promise<TaskTimes> {
  await run('sync')
  const cpu0 = cpuSeconds(pid) ?? NaN
  const threads0 = threadCpu(pid)
  const id = mmesh(['task', 'add', '--data', dataDir, '--source', src, '--dest', `file://${destRoot}`, '--folder', folder], bin).trim()
  const added = performance.now()
  const addedWall = Date.now()
  for (;;) {
    const t = await callAgent(dataDir, 'task.show', { id })
    if (t.status === 'completed' || t.status === 'failed' || t.status === 'cancelled') {
      const endToEnd = (performance.now() - added) / 1000
      if (t.status !== 'completed' || t.counts.failed > 0) throw new Error(`task ${id} ended ${t.status}: ${JSON.stringify(t.counts)} ${t.failureReason ?? ''}`)
      const own = (Date.parse(t.finishedAt!) - Date.parse(t.startedAt!)) / 1000
      const cpu = (cpuSeconds(pid) ?? NaN) - cpu0
      const split = threadCpuSplit(pid, threads0, threadCpu(pid))
      const us = (x: { user: number; system: number }) => `${x.user.toFixed(2)}+${x.system.toFixed(2)}`
      const threads = `main ${us(split.main)}, others ${split.others.slice(0, 4).map(us).join(' ')}`
      return { cpu, threads, own, endToEnd, beforeStart: (Date.parse(t.startedAt!) - addedWall) / 1000, afterFinish: (Date.now() - Date.parse(t.finishedAt!)) / 1000 }
    }
    // A task that waits (the bench's file system too small for the trees and every copy: "destination is
    // full") would retry for 30 minutes: say why at once rather than time out.
    if (t.waitingReason) throw new Error(`task ${id} is waiting: ${t.waitingReason} (a larger --fresh-ext4, or fewer --reps)`)
    if (performance.now() - added > 600_000) throw new Error(`task ${id} not completed within 10 minutes`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/**
 * After each contender its copy is removed and, on a fresh ext4, the freed blocks trimmed (the loop device
 * punches them out of the image): every contender starts from the same file system and page cache. Kept,
 * the copies' pages piled up twice (the ext4's and the image file's) and the same `rsync -a` of 1 GB took
 * 0.8-1.0 s or 2.7-2.9 s (2.6 s of it in the kernel), whichever state it met: a ratio measured noise.
 */
/** Reads the source tree once, so every contender finds it in the page cache. */
const warm = (src: string) => run('sh', ['-c', `find "${src}" -type f -exec cat {} + > /dev/null`])

async function clearCopy(dir: string, trim: string | null, src: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  await run('sync')
  if (trim) {
    await run('fstrim', [trim])
    await run('sync')
    await writeFile('/proc/sys/vm/drop_caches', '3')
    await warm(src)
  }
}

async function compare(label: string, src: string, out: string, agents: Contender[], reps: number, log: (l: string) => void, trim: string | null): Promise<Row[]> {
  await warm(src)
  const rsync: number[] = []
  const rsyncDurable: number[] = []
  const rsyncCpu: number[] = []
  const times = agents.map(() => ({ own: [] as number[], e2e: [] as number[], before: [] as number[], after: [] as number[], cpu: [] as number[], threads: [] as string[] }))
  for (let r = 0; r < reps; r++) {
    const runRsync = async () => {
      await run('sync')
      const t0 = performance.now()
      const copy = path.join(out, `rsync-${label}-${r}`)
      const cpu0 = childrenCpuSeconds()
      await run('rsync', ['-a', `${src}/`, copy])
      rsync.push((performance.now() - t0) / 1000)
      rsyncCpu.push(childrenCpuSeconds() - cpu0)
      // rsync leaves its writeback to the kernel, after it exits; the agent's task ends once its copies are
      // on disk. The same work made durable, for reference: rsync, then a flush of the file system.
      await run('sync', ['-f', copy])
      rsyncDurable.push((performance.now() - t0) / 1000)
      await clearCopy(copy, trim, src)
    }
    const runAgent = (k: number) => async () => {
      const a = agents[k]!
      const t = await migrate(a.dataDir, src, out, `${a.name}-${label}-${r}`, a.bin, a.pid)
      await clearCopy(path.join(out, `${a.name}-${label}-${r}`), trim, src)
      times[k]!.cpu.push(t.cpu)
      times[k]!.threads.push(t.threads)
      times[k]!.own.push(t.own)
      times[k]!.e2e.push(t.endToEnd)
      times[k]!.before.push(t.beforeStart)
      times[k]!.after.push(t.afterFinish)
    }
    // take turns at going first: on a busy disk the first after a big write pays for its writeback
    const order = [runRsync, ...agents.map((_, k) => runAgent(k))]
    for (let i = 0; i < order.length; i++) await order[(i + r) % order.length]!()
  }
  const rs = median(rsync)
  const rows: Row[] = []
  log(`${label}: rsync -a ${fmt(rsync)} s (CPU ${fmt(rsyncCpu)} s, median ${median(rsyncCpu).toFixed(2)}); rsync -a then sync -f ${fmt(rsyncDurable)} s (median ${median(rsyncDurable).toFixed(2)})`)
  agents.forEach((a, k) => {
    const t = times[k]!
    const o = median(t.own)
    const e = median(t.e2e)
    const who = agents.length > 1 ? ` [${a.name}]` : ''
    log(`${label}${who}: task own time ${fmt(t.own)} s | task add -> completed ${fmt(t.e2e)} s (add -> start ${fmt(t.before)} s, finish -> seen ${fmt(t.after)} s) | agent CPU ${fmt(t.cpu)} s (median ${median(t.cpu).toFixed(2)})`)
    // user+system seconds by thread, of the run with the median CPU
    log(`${label}${who}: CPU by thread (user+system s) ${t.threads[t.cpu.indexOf(median(t.cpu))]}`)
    if (a.reference) {
      log(`${label}${who}: for reference, not the product: ${(rs / o).toFixed(2)}x rsync -a own time, ${(rs / e).toFixed(2)}x end to end`)
      return
    }
    rows.push(
      { target: `${label}${who}: task's own time (ledger start -> finish) vs rsync -a`, measured: `${(rs / o).toFixed(2)}x (${o.toFixed(2)} s vs ${rs.toFixed(2)} s)`, goal: '>= 1.0x', ok: rs / o >= 1.0 },
      { target: `${label}${who}: task add -> completed vs rsync -a`, measured: `${(rs / e).toFixed(2)}x (${e.toFixed(2)} s vs ${rs.toFixed(2)} s)`, goal: '>= 0.8x', ok: rs / e >= 0.8 },
    )
  })
  return rows
}

export async function run_(opts: MigrateOptions = {}): Promise<Row[]> {
  const log = opts.log ?? ((l: string) => console.log(l))
  // The yardstick must be there before trees of a gigabyte are written for it.
  if (spawnSync('rsync', ['--version'], { stdio: 'ignore' }).error) throw new Error('bench/fleet/migrate compares with rsync, which is not installed: apt-get install -y rsync (or leave out the migrate section: --only catchup,tui,sharepoint,agents30)')
  if (opts.freshExt4Gb && process.getuid?.() !== 0) throw new Error('--fresh-ext4 mounts, trims and drops caches: run it as root, or use --dir DIR instead')
  const small = opts.small ?? 10_000
  const big = opts.big ?? 10
  const reps = opts.reps ?? 3
  let fresh: FreshExt4 | null = null
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-fleet-migrate-'))
  // made before the image is mounted, so a build it cannot patch leaves nothing mounted
  const flushesOff = opts.durability ? flushesOffBuild(tmp) : null
  if (opts.freshExt4Gb) fresh = await mountFreshExt4(opts.freshExt4Gb)
  const base = fresh ? path.join(fresh.dir, 'm') : (opts.dir ?? '/tmp/mmesh-fleet-migrate')
  await rm(base, { recursive: true, force: true })
  const trees = path.join(base, 'trees')
  const out = path.join(base, 'out')
  await mkdir(out, { recursive: true })
  const agents: Contender[] = [{ name: 'agent', dataDir: path.join(tmp, 'data'), bin: MMESH }]
  if (opts.baseline) agents.push({ name: 'baseline', dataDir: path.join(tmp, 'data-baseline'), bin: path.join(path.resolve(opts.baseline), 'bin', 'mmesh.js') })
  if (flushesOff) agents.push({ name: 'flushes-off', dataDir: path.join(tmp, 'data-flushes-off'), bin: flushesOff, reference: true })
  const stops: Array<() => Promise<void>> = []
  const rows: Row[] = []
  try {
    for (const a of agents) {
      const stop = await startAgent(a.dataDir, trees, out, a.bin)
      a.pid = stop.pid
      stops.push(stop)
    }
    if (small > 0) {
      await makeSmallTree(path.join(trees, 'small'), small, opts.smallKb ?? 4)
      rows.push(...(await compare(`${small} x ${opts.smallKb ?? 4} KB`, path.join(trees, 'small'), out, agents, reps, log, fresh?.dir ?? null)))
    }
    if (big > 0) {
      await makeBigTree(path.join(trees, 'big'), big, opts.bigMb ?? 100)
      rows.push(...(await compare(`${big} x ${opts.bigMb ?? 100} MB`, path.join(trees, 'big'), out, agents, reps, log, fresh?.dir ?? null)))
    }
  } finally {
    for (const stop of stops) await stop()
    await rm(base, { recursive: true, force: true })
    await fresh?.unmount()
    await rm(tmp, { recursive: true, force: true })
  }
  return rows
}
export { run_ as run }

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2)
  const num = (name: string) => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? Number(argv[i + 1]) : undefined
  }
  const s = (name: string) => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const build = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'build.js'), '--if-stale'], { cwd: ROOT, stdio: 'inherit' })
  if (build.status !== 0) throw new Error('the build failed')
  console.log(`mmesh bench/fleet/migrate — node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString()}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`)
  const rows = await run_({ small: num('small'), smallKb: num('small-kb'), big: num('big'), bigMb: num('big-mb'), reps: num('reps'), freshExt4Gb: num('fresh-ext4'), dir: s('dir'), baseline: s('baseline'), durability: argv.includes('--durability') })
  for (const r of rows) console.log(`${r.ok ? 'ok  ' : 'MISS'} ${r.target}: ${r.measured} (goal ${r.goal})`)
}
