/**
 * Fleet view responsiveness with a large ledger: renders the real app (ink, through ink-testing-library's
 * in-memory terminal) over an in-memory fleet of N tasks (default 50,000) and measures the time from a
 * key press to the first frame that shows its effect. Target: under 100 ms.
 *
 *   node bin/run-ts.js bench/tui.ts [--tasks N] [--baseline 100] [--columns 120] [--rows 40] [--presses 40] [--dev] [--json]
 *
 * Runs the same presses over a fleet of --baseline tasks first and prints both side by side with the
 * ratio of CPU time per press: rows are drawn for the screen only, so the ratio should stay near 1.
 *
 * React runs its production build (as the CLI should: NODE_ENV=production); --dev measures the
 * development build, whose performance tracks diff the props of every re-rendered component and so
 * walk the 50,000-task arrays (several times slower; not what an admin runs).
 *
 * Measured: j (cursor down), G/g (jump to the ends), s (re-sort all tasks), / + typing (filter over all
 * tasks, per character), and j again while the fleet changes 4 times a second (each change rebuilds the
 * task list as the node would). Times are wall-clock, write of the key to the matching frame.
 */
import '../bin/polyfill.js'
import os from 'node:os'

// React picks its build when first loaded, so the modules are imported after NODE_ENV is set.
if (!process.argv.includes('--dev')) process.env.NODE_ENV = 'production'
const React = (await import('react')).default
const { render } = await import('ink-testing-library')
const { FleetApp } = await import('../tui/app.tsx')
const { DemoFleet } = await import('../test/support/demo-fleet.ts')

function arg(name: string, dflt: number): number {
  const k = process.argv.indexOf(name)
  return k >= 0 ? Number(process.argv[k + 1]) : dflt
}
const N = arg('--tasks', 50_000)
const COLUMNS = arg('--columns', 120)
const ROWS = arg('--rows', 40)
const PRESSES = arg('--presses', 40)
const asJson = process.argv.includes('--json')

// eslint-disable-next-line no-control-regex
const strip = (s: string): string => s.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const selectedName = (f: string): string => (f.split('\n').find((l) => l.startsWith('▶ ')) ?? '').slice(2).split(/\s+/)[0] ?? ''
const rowNames = (f: string): string[] => f.split('\n').filter((l) => /^[▶ ] share-\d+/.test(l)).map((l) => l.slice(2).split(/\s+/)[0]!)
function stats(xs: number[]): { n: number; median: number; p95: number; max: number } {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!
  return { n: s.length, median: +q(0.5).toFixed(1), p95: +q(0.95).toFixed(1), max: +s[s.length - 1]!.toFixed(1) }
}

interface Scenario { tasks: number; built: number; firstFrame: number; results: Record<string, ReturnType<typeof stats> & { cpuMedian: number }> }

/** One full run over a fresh in-memory fleet of `N` tasks and a fresh app. */
async function scenario(N: number): Promise<Scenario> {
  const t0 = performance.now()
  const fleet = new DemoFleet({ agents: 50, tasks: N })
  const built = performance.now() - t0

  const r = render(React.createElement(FleetApp, { source: fleet, actions: fleet, initialView: 'tasks' }))
  Object.defineProperty(r.stdout, 'columns', { value: COLUMNS, configurable: true })
  Object.defineProperty(r.stdout, 'rows', { value: ROWS, configurable: true })

  // Every frame ink writes, with when it was written.
  let waiter: { pred: (f: string) => boolean; resolve: (t: number) => void } | null = null
  let last = ''
  const write = r.stdout.write
  r.stdout.write = (frame: string) => {
    write(frame)
    last = strip(frame)
    if (waiter && waiter.pred(last)) {
      const w = waiter
      waiter = null
      w.resolve(performance.now())
    }
    return true
  }

  function frameWhere(pred: (f: string) => boolean, timeoutMs = 5000): Promise<number> {
    if (pred(last)) return Promise.resolve(performance.now())
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter = null
        reject(new Error(`no frame matched within ${timeoutMs} ms; last frame:\n${last}`))
      }, timeoutMs)
      waiter = {
        pred,
        resolve: (t) => {
          clearTimeout(timer)
          resolve(t)
        },
      }
    })
  }

  /** CPU time (ms) of this process during each measured press: unlike wall time, other load does not inflate it. */
  const cpuLog: number[] = []

  /** Presses `key` and returns ms until a frame satisfies `pred`. */
  async function press(key: string, pred: (f: string) => boolean): Promise<number> {
    const cpu0 = process.cpuUsage()
    const start = performance.now()
    const done = frameWhere(pred)
    r.stdin.write(key)
    const end = await done
    const cpu = process.cpuUsage(cpu0)
    cpuLog.push((cpu.user + cpu.system) / 1000)
    await sleep(5) // let effects settle between presses, as a human's key repeat would
    return end - start
  }

  /** Runs a measured block; returns wall stats plus the median CPU ms of its presses. */
  async function measure(what: string, block: () => Promise<number[]>): Promise<void> {
    const from = cpuLog.length
    const times = await block()
    const cpu = cpuLog.slice(from).sort((a, b) => a - b)
    results[what] = { ...stats(times), cpuMedian: +(cpu[Math.floor(cpu.length / 2)] ?? 0).toFixed(1) }
  }



  const firstStart = performance.now()
  r.stdout.emit('resize')
  await frameWhere((f) => f.includes(`Tasks ${N}`) && rowNames(f).length > 0, 30_000)
  const firstFrame = performance.now() - firstStart
  await sleep(50)

  const results: Record<string, ReturnType<typeof stats> & { cpuMedian: number }> = {}

  // j: cursor down one row.
  await measure('j (cursor down)', async () => {
    const times: number[] = []
    for (let i = 0; i < PRESSES; i++) {
      const before = selectedName(last)
      times.push(await press('j', (f) => selectedName(f) !== '' && selectedName(f) !== before))
    }
    return times
  })

  // G and g: jump to the last and the first of all N rows.
  await measure('G/g (jump to the ends)', async () => {
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const top = rowNames(last)[0]
      times.push(await press('G', (f) => rowNames(f)[0] !== top && f.split('\n').filter((l) => /^[▶ ] share-/.test(l)).at(-1)!.startsWith('▶ ')))
      times.push(await press('g', (f) => f.split('\n').find((l) => /^[▶ ] share-/.test(l))!.startsWith('▶ ')))
    }
    return times
  })

  // s: re-sort all N tasks by the next column.
  await measure('s (re-sort all tasks)', async () => {
    const times: number[] = []
    for (let i = 0; i < 6; i++) {
      const m = /sort (\w+)/.exec(last)
      const before = m ? m[1] : ''
      times.push(await press('s', (f) => /sort (\w+)/.exec(f)?.[1] !== before))
    }
    return times
  })

  // / then a filter typed one character at a time, each narrowing all N tasks.
  await measure('/ (open the filter line)', async () => [await press('/', (f) => f.includes('text or status:failed'))])
  await sleep(300) // a person takes longer than this to type the first character
  await measure('typing (filter all tasks, per char)', async () => {
    const times: number[] = []
    let text = ''
    for (const ch of 'share-4999') {
      text += ch
      const want = `filter "${text}"`
      times.push(await press(ch, (f) => f.includes(want)))
    }
    return times
  })
  await press('\u001B', (f) => !f.includes('filter "'))
  await sleep(30)

  // j while the fleet changes 4 times a second (the node's updates arriving as new snapshots).
  let updating = true
  const updates = (async () => {
    let k = 0
    while (updating) {
      const i = (k++ * 7919) % N
      fleet.update((s) => ({ at: new Date(Date.parse(s.at) + 250).toISOString(), tasks: s.tasks.map((t, j) => (j === i ? { ...t, bytes: { ...t.bytes, migrated: Math.min(t.bytes.total, t.bytes.migrated + 1) } } : t)) }))
      await sleep(250)
    }
  })()
  await measure('j/k during live updates (4/s)', async () => {
    const times: number[] = []
    for (let i = 0; i < PRESSES; i++) {
      const before = selectedName(last)
      times.push(await press(i % 2 ? 'k' : 'j', (f) => selectedName(f) !== '' && selectedName(f) !== before))
      await sleep(20)
    }
    return times
  })
  updating = false
  await updates

  r.unmount()
  return { tasks: N, built, firstFrame, results }
}


const env = process.env.NODE_ENV ?? 'development'
const BASELINE = arg('--baseline', 100)
// Side by side in one run: the same presses over a small fleet show what the task count itself costs.
const small = await scenario(BASELINE)
const big = await scenario(N)
if (asJson) {
  console.log(JSON.stringify({ columns: COLUMNS, rows: ROWS, nodeEnv: env, runs: [small, big] }))
} else {
  console.log(`fleet view, ${COLUMNS}x${ROWS}, React ${env} build, node ${process.version}`)
  console.log(`  load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs (wall times include waiting for a CPU; cpu = this process's own time)`)
  for (const run of [small, big]) {
    console.log(`  ${run.tasks} tasks: in-memory fleet built in ${run.built.toFixed(0)} ms; first frame ${run.firstFrame.toFixed(0)} ms`)
  }
  console.log(`  key press → frame (ms)                ${String(N).padStart(6)} tasks: median    p95    max    cpu | ${BASELINE} tasks: median    cpu | cpu ratio  target < 100`)
  for (const [what, s] of Object.entries(big.results)) {
    const b = small.results[what]!
    const ratio = b.cpuMedian > 0 ? (s.cpuMedian / b.cpuMedian).toFixed(2) : '-'
    console.log(`  ${what.padEnd(37)} ${String(s.median).padStart(19)} ${String(s.p95).padStart(6)} ${String(s.max).padStart(6)} ${String(s.cpuMedian).padStart(6)} | ${String(b.median).padStart(17)} ${String(b.cpuMedian).padStart(6)} | ${ratio.padStart(9)}  ${s.median < 100 ? 'ok' : 'OVER'}`)
  }
}
process.exit(0)
