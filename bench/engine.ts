/**
 * bench/engine: the engine copying into a file:// destination, side by side with `cp -a` and `rsync -a` of
 * the same tree in the same run, verification on. Then agent memory while migrating a large tree.
 *
 *   node bin/run-ts.js bench/engine.ts [--small 20000] [--small-kb 4] [--big 20] [--big-mb 100]
 *                                      [--memory-files 1000000] [--dir /tmp/mmesh-bench] [--keep]
 *                                      [--reps 3] [--fresh-ext4 GB] [--durability]
 * --memory-files 0 skips the memory part. --durability adds two contenders to show what
 * durability costs: the engine with its flushes off (file.ts `fsync: false`) and `rsync -a --fsync` (cp and
 * plain rsync flush nothing; the engine flushes every file before it takes its final name). --fresh-ext4 GB runs on a new journaled ext4 filesystem in a
 * loop-mounted image of that size (root only; needs about 12 GB for the default trees): the machine's own
 * disk may be in a state that bills one contender for another's deletes (see BENCHMARKS.md). Data is read from the page cache in every contender (each tree
 * is read once before timing), and `sync` runs between contenders so one's writeback does not bill the next.
 */
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, open, rm, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { Level } from 'level'
import pLimit from 'p-limit'
import { createFileDestination } from '../agent/destinations/file.ts'
import { runTaskRound } from '../agent/engine/round.ts'
import { createItemStore } from '../agent/items/store.ts'
import { DEFAULT_SETTINGS } from '../protocol/settings.ts'
import type { EngineJob } from '../agent/engine/types.ts'
import { mountFreshExt4 } from './support/fresh-ext4.ts'

const run = promisify(execFile)
const argv = process.argv.slice(2)
const arg = (name: string, def: number) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? Number(argv[i + 1]) : def
}
const strArg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1]! : def
}
const freshExt4 = arg('fresh-ext4', 0)
const image = '/tmp/mmesh-bench-ext4.img'
const mountPoint = '/tmp/mmesh-bench-ext4'
const base = freshExt4 > 0 ? path.join(mountPoint, 'b') : strArg('dir', '/tmp/mmesh-bench')

if (argv[0] === '--memory-child') {
  await memoryChild(argv[1]!, argv[2]!)
  process.exit(0)
}

const small = arg('small', 20000)
const smallKb = arg('small-kb', 4)
const big = arg('big', 20)
const bigMb = arg('big-mb', 100)
const memFiles = arg('memory-files', 1_000_000)

function job(sourceRoot: string, taskId: string): EngineJob {
  return {
    taskId, round: 0, epoch: 1, sourceRoot, device: 'bench',
    settings: { ...DEFAULT_SETTINGS },
    spec: { v: 1, id: taskId, name: taskId, source: sourceRoot, destination: { url: 'file:///x', library: null, folder: null }, group: 'Default', settings: {}, createdAt: new Date().toISOString(), createdBy: '12D3KooWBenchAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
  }
}

async function engineCopy(src: string, dst: string, dbDir: string, taskId: string, fsync = true) {
  await mkdir(dst, { recursive: true })
  const db = new Level<string, string>(dbDir)
  await db.open()
  const controller = new AbortController()
  const result = await runTaskRound(job(src, taskId), {
    destination: createFileDestination({ rootDir: dst, library: null, folder: null, fsync }),
    items: createItemStore(db),
    limiter: pLimit(32),
    leaseHeld: () => true,
    onProgress: () => {},
    onCheckpoint: () => {},
    signal: controller.signal,
    clock: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    logger: { debug() {}, info() {}, warn() {}, error: (o, m) => console.error(m, o) },
  })
  await db.close()
  if (result.phase !== 'completed' || result.counts.failed > 0) throw new Error(`engine round ${result.phase}: ${JSON.stringify(result.counts)} ${result.failureReason}`)
  return result
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  await run('sync')
  const t0 = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - t0) / 1e9
}

async function makeSmallTree(dir: string) {
  const content = randomBytes(smallKb * 1024)
  for (let i = 0; i < small; i++) {
    const sub = path.join(dir, `d${String(Math.floor(i / 1000)).padStart(3, '0')}`)
    if (i % 1000 === 0) await mkdir(sub, { recursive: true })
    content.writeUInt32LE(i, 0)
    await writeFile(path.join(sub, `f${i}.dat`), content)
  }
}

async function makeBigTree(dir: string) {
  await mkdir(dir, { recursive: true })
  const block = randomBytes(1 << 20)
  for (let i = 0; i < big; i++) {
    const fh = await open(path.join(dir, `big${i}.bin`), 'w')
    for (let m = 0; m < bigMb; m++) {
      block.writeUInt32LE(i * 100000 + m, 0)
      await fh.write(block)
    }
    await fh.close()
  }
}

const rsyncPath = await run('which', ['rsync']).then((r) => r.stdout.trim(), () => null)

async function compare(label: string, src: string, bytes: number, files: number) {
  const out = path.join(base, 'out')
  await rm(out, { recursive: true, force: true })
  await mkdir(out, { recursive: true })
  console.log('')
  await run('sh', ['-c', `find "${src}" -type f -exec cat {} + > /dev/null`]) // warm the page cache
  // The VM's disk is noisy: each contender runs `reps` times, interleaved, and the median counts.
  const reps = arg('reps', 3)
  const durability = argv.includes('--durability')
  const times: Record<'cp' | 'rsync' | 'engine' | 'rsyncFsync' | 'engineNoFsync', number[]> = { cp: [], rsync: [], engine: [], rsyncFsync: [], engineNoFsync: [] }
  for (let r = 0; r < reps; r++) {
    // The order rotates each rep: on this disk whoever runs first after a big delete or create pays for it.
    const contenders: [keyof typeof times, () => Promise<unknown>][] = [
      ['cp', () => run('cp', ['-a', src, path.join(out, `cp${r}`)])],
      ...(rsyncPath ? [['rsync', () => run('rsync', ['-a', `${src}/`, path.join(out, `rsync${r}`)])] as [keyof typeof times, () => Promise<unknown>]] : []),
      ['engine', () => engineCopy(src, path.join(out, `engine${r}`), path.join(out, `db${r}`), `bench-${label}-${r}`)],
      ...(durability
        ? ([
            ['engineNoFsync', () => engineCopy(src, path.join(out, `nofsync${r}`), path.join(out, `dbn${r}`), `bench-${label}-n${r}`, false)],
            ...(rsyncPath ? [['rsyncFsync', () => run('rsync', ['-a', '--fsync', `${src}/`, path.join(out, `rsyncf${r}`)])]] : []),
          ] as [keyof typeof times, () => Promise<unknown>][])
        : []),
    ]
    for (let i = 0; i < contenders.length; i++) {
      const [name, fn] = contenders[(i + r) % contenders.length]!
      times[name].push(await timed(fn))
    }
    // Many-file copies stay until the end of this tree: on ext4 without a journal (this VM) a create skips
    // inodes freed in the last minute, scanning past each one, so deleting 3 × N files here would bill the
    // next rep's first contender (cp) for the cleanup. Few big files free few inodes: delete them to save disk.
    if (files <= 1000) {
      await rm(out, { recursive: true, force: true })
      await mkdir(out, { recursive: true })
    }
  }
  const median = (xs: number[]) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!)
  const cp = median(times.cp)
  const rs = median(times.rsync)
  const eng = median(times.engine)
  console.log(`  runs (s): cp ${fmt(times.cp)} | rsync ${fmt(times.rsync)} | engine ${fmt(times.engine)}`)
  const mbs = (s: number) => (bytes / 1e6 / s).toFixed(0)
  console.log(`${label}: ${files} files, ${(bytes / 1e6).toFixed(0)} MB (median of ${reps})`)
  console.log(`  cp -a        ${cp.toFixed(2)} s  ${mbs(cp)} MB/s  ${(files / cp).toFixed(0)} files/s`)
  if (rsyncPath) console.log(`  rsync -a     ${rs.toFixed(2)} s  ${mbs(rs)} MB/s  ${(files / rs).toFixed(0)} files/s`)
  else console.log('  rsync -a     not installed (apt-get install -y rsync)')
  console.log(`  mmesh engine ${eng.toFixed(2)} s  ${mbs(eng)} MB/s  ${(files / eng).toFixed(0)} files/s  (xxh64 verify by re-read, temp+rename, item records)`)
  console.log(`  ratio engine/cp throughput: ${(cp / eng).toFixed(2)}x   engine/rsync: ${rsyncPath ? (rs / eng).toFixed(2) + 'x' : 'n/a'}`)
  if (durability) {
    const nof = median(times.engineNoFsync)
    const rsf = median(times.rsyncFsync)
    console.log(`  runs (s): engine, no flush ${fmt(times.engineNoFsync)} | rsync -a --fsync ${fmt(times.rsyncFsync)}`)
    console.log(`  engine, no flush ${nof.toFixed(2)} s (engine/rsync ${(rs / nof).toFixed(2)}x)   rsync -a --fsync ${rsf.toFixed(2)} s (engine/rsync --fsync ${(rsf / eng).toFixed(2)}x)`)
  }
  await rm(out, { recursive: true, force: true })
}

function fmt(xs: number[]): string {
  return xs.map((x) => x.toFixed(2)).join(' ')
}

async function memoryChild(src: string, out: string) {
  let peak = 0
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss))
  const t = setInterval(sample, 200)
  const t0 = Date.now()
  const r = await engineCopy(src, path.join(out, 'engine'), path.join(out, 'db'), 'bench-memory')
  clearInterval(t)
  sample()
  process.stdout.write(JSON.stringify({ peakRss: peak, seconds: (Date.now() - t0) / 1000, counts: r.counts }))
}

if (freshExt4 > 0) {
  await mountFreshExt4(freshExt4, image, mountPoint)
  console.log(`on a fresh journaled ext4 filesystem: ${image} (${freshExt4} GB) mounted at ${mountPoint}`)
}
console.log(`mmesh bench/engine — node ${process.version}, ${(await run('nproc')).stdout.trim()} cores, ${new Date().toISOString()}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
await rm(base, { recursive: true, force: true })
if (small > 0) {
  await makeSmallTree(path.join(base, 'small'))
  await compare('small files', path.join(base, 'small'), small * smallKb * 1024, small)
  await rm(path.join(base, 'small'), { recursive: true, force: true })
}
if (big > 0) {
  await makeBigTree(path.join(base, 'big'))
  await compare('big files', path.join(base, 'big'), big * bigMb * 1024 * 1024, big)
  await rm(path.join(base, 'big'), { recursive: true, force: true })
}
if (memFiles > 0) {
  const src = path.join(base, 'million')
  const t0 = Date.now()
  for (let i = 0; i < memFiles; i += 1000) {
    const sub = path.join(src, `d${String(Math.floor(i / 100000))}`, `d${String(Math.floor(i / 1000) % 100).padStart(2, '0')}`)
    await mkdir(sub, { recursive: true })
    await Promise.all(Array.from({ length: Math.min(1000, memFiles - i) }, (_, j) => writeFile(path.join(sub, `e${i + j}`), '')))
  }
  console.log(`\nmemory: generated ${memFiles} empty files in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  const out = path.join(base, 'out-mem')
  const child = spawn(process.execPath, ['bin/run-ts.js', 'bench/engine.ts', '--memory-child', src, out], { stdio: ['ignore', 'pipe', 'inherit'] })
  let text = ''
  child.stdout.on('data', (d) => (text += d))
  await new Promise((r) => child.on('exit', r))
  const m = JSON.parse(text) as { peakRss: number; seconds: number; counts: Record<string, number> }
  console.log(`memory: engine migrated ${m.counts.migrated} items (${memFiles} files + folders) in ${m.seconds.toFixed(0)} s, peak RSS ${(m.peakRss / 1024 / 1024).toFixed(0)} MB (target < 500 MB)`)
}
console.log(`load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')} (other processes on the machine skew every contender; compare within one run)`)
if (!argv.includes('--keep')) await rm(base, { recursive: true, force: true })
if (freshExt4 > 0) {
  await run('umount', [mountPoint])
  await rm(image, { force: true })
}
