/**
 * Ledger benchmark (issue 2's figures), real `mmesh start` processes on 127.0.0.1 with production
 * heartbeat and anti-entropy periods, the agent core alone (createFleet's coreOnly):
 *   1. convergence across 5 agents of 10,000 task records written on one agent in one transaction,
 *      and as 10,000 separate changes;
 *   2. ledger bytes added by the idle 5-agent fleet over a window (BENCH_IDLE_SECONDS, default 60),
 *      extrapolated to an hour;
 *   3. a fresh agent pulling a 100,000-task ledger from a peer, beside a bare Yjs encode + apply of the
 *      same document in this process;
 *   4. resident memory of agents holding 100,000 tasks.
 * Run: node bin/run-ts.js bench/ledger.ts
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import * as Y from 'yjs'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../test/fixtures/fleet.ts'

const IDLE_S = Number(process.env.BENCH_IDLE_SECONDS ?? 60)
const rows: [string, string, string][] = []
const ms = (n: number) => `${Math.round(n)} ms`
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`

async function status(fleet: Fleet, a: AgentProc) {
  return fleet.call(a, 'status')
}

/** Waits until every agent holds `tasks` tasks; returns when each got there, in ms from `since`. */
async function until(fleet: Fleet, agents: AgentProc[], tasks: number, timeoutMs: number, since = performance.now()): Promise<number[]> {
  const arrived: number[] = agents.map(() => NaN)
  await waitFor(async () => {
    const s = await Promise.all(agents.map((a) => status(fleet, a)))
    s.forEach((x, i) => {
      if (Number.isNaN(arrived[i]!) && x.sizes.tasks >= tasks) arrived[i] = performance.now() - since
    })
    return arrived.every((t) => !Number.isNaN(t))
  }, { timeoutMs, intervalMs: 20, message: `${tasks} tasks on every agent` })
  return arrived
}
/** Peak resident memory of a process so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : NaN
}
const each = (ts: number[]) => ts.map((t) => (t / 1000).toFixed(2)).join(' / ')

async function main() {
  const loadBefore = os.loadavg().map((l) => l.toFixed(1)).join(' ')
  const fleet = await createFleet({
    coreOnly: true,
    env: { MMESH_HEARTBEAT_MS: '2000', MMESH_ANTI_ENTROPY_MS: '3000', MMESH_LOG_LEVEL: 'warn' },
  })
  try {
    const a0 = await fleet.start('a0')
    const others = await Promise.all([1, 2, 3, 4].map((i) => fleet.start(`a${i}`, { peers: [a0] })))
    const five = [a0, ...others]
    await waitFor(async () => {
      const lists = await Promise.all(five.map((a) => fleet.call<{ state: string }[]>(a, 'agents.list')))
      return lists.every((l) => l.filter((r) => r.state === 'online').length === 5)
    }, { timeoutMs: 60_000, message: '5 agents online everywhere' })

    // 1a. one transaction
    let t0 = performance.now()
    await fleet.call(a0, 'test.writeRecords', { count: 10_000, prefix: 'onetx' })
    const writeOne = performance.now() - t0
    const arrOne = await until(fleet, five, 10_000, 60_000, t0)
    const convOne = performance.now() - t0
    rows.push(['10,000 records, one transaction, 5 agents: all hold them', ms(convOne), `target < 1 s (write+store on a0: ${ms(writeOne)}; each agent, s: ${each(arrOne)})`])

    // 1b. separate changes
    t0 = performance.now()
    await fleet.call(a0, 'test.writeRecords', { count: 10_000, prefix: 'sep', separate: true })
    const writeSep = performance.now() - t0
    const arrSep = await until(fleet, five, 20_000, 120_000, t0)
    const convSep = performance.now() - t0
    rows.push(['10,000 separate changes, 5 agents: all hold them', ms(convSep), `target < 3 s (writes on a0: ${ms(writeSep)}; each agent, s: ${each(arrSep)})`])
    const hash = await fleet.converged(five, { timeoutMs: 60_000 })
    void hash

    // 2. idle growth
    await new Promise((r) => setTimeout(r, 3000)) // let the last gossip and syncs finish before the window
    const before = await Promise.all(five.map((a) => status(fleet, a)))
    const encBefore = await Promise.all(five.map(async (a) => (await fleet.call<string>(a, 'test.encodeUpdate')).length))
    await new Promise((r) => setTimeout(r, IDLE_S * 1000))
    const after = await Promise.all(five.map((a) => status(fleet, a)))
    const encAfter = await Promise.all(five.map(async (a) => (await fleet.call<string>(a, 'test.encodeUpdate')).length))
    const stored = after.reduce((s, x, i) => s + (x.replication.storedBytes - before[i]!.replication.storedBytes), 0)
    const docGrowth = encAfter.reduce((s, x, i) => s + (x - encBefore[i]!), 0)
    rows.push([`idle 5-agent fleet: ledger bytes added (${IDLE_S} s window, x${(3600 / IDLE_S).toFixed(0)} per hour)`, `${(stored * 3600) / IDLE_S} B/h stored, ${(docGrowth * 3600) / IDLE_S} B/h document`, 'target 0'])

    // 3. fresh agent pulling 100,000 tasks
    await Promise.all(others.map((a) => fleet.run(['stop'], a)))
    await fleet.call(a0, 'test.writeRecords', { count: 80_000, prefix: 'big' })
    const a0s = await status(fleet, a0)
    t0 = performance.now()
    const fresh = await fleet.start('fresh', { peers: [a0] })
    const ready = performance.now()
    await until(fleet, [fresh], 100_000, 120_000)
    const pulled = performance.now() - ready
    const fs1 = await status(fleet, fresh)
    const sync = fs1.replication.largestSync
    rows.push(['fresh agent pulls 100,000 tasks: ready -> holds all', ms(pulled), `target < 2 s (process start to ready: ${ms(ready - t0)}; sync stream: ${sync ? `${ms(sync.ms)}, ${mb(sync.received)}` : 'n/a'})`])

    // bare Yjs: encode + apply of the same document, in this process
    const full = Buffer.from(await fleet.call<string>(a0, 'test.encodeUpdate'), 'base64')
    const src = new Y.Doc()
    Y.applyUpdate(src, full)
    const y0 = performance.now()
    const enc = Y.encodeStateAsUpdate(src)
    const dst = new Y.Doc()
    Y.applyUpdate(dst, enc)
    const bare = performance.now() - y0
    rows.push(['bare Yjs encode + apply of the same document', ms(bare), `${mb(enc.byteLength)} update`])
    rows.push(['ratio: fresh-agent pull / bare Yjs', `${(pulled / bare).toFixed(2)}x`, `target <= 3x (sync stream alone: ${sync ? (sync.ms / bare).toFixed(2) : 'n/a'}x)`])

    // 4. memory: resident once the agent holds the ledger and the write or pull is over (12 s later: the
    // agent collects garbage a second after a large transfer, at most once per 10 s), and the peak
    // during it (VmHWM), both for the writer and for the fresh agent
    await new Promise((r) => setTimeout(r, 12_000))
    for (const [label, a, justAfter] of [['the agent that wrote 100,000 tasks', a0, a0s], ['the fresh agent holding 100,000 tasks', fresh, fs1]] as const) {
      const settled = await status(fleet, a)
      rows.push([`RSS of ${label}`, mb(settled.rss), `target < 400 MB (right after: ${mb(justAfter.rss)}; peak: ${mb(peakRss(settled.pid))}; heap used ${mb(settled.memory.heapUsed)})`])
    }
  } catch (err) {
    for (const a of fleet.agents) console.error(`--- ${a.name} (exit ${a.proc?.exitCode ?? a.proc?.signalCode ?? 'running'}):\n${a.stderr().slice(-2000)}`)
    throw err
  } finally {
    await fleet.cleanup()
  }
  const w0 = Math.max(...rows.map((r) => r[0].length))
  const w1 = Math.max(...rows.map((r) => r[1].length))
  console.log(`\nmmesh ledger benchmark (node ${process.version}, ${os.cpus().length} CPUs, load average before ${loadBefore}, after ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${new Date().toISOString()})\n`)
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`)
}

await main()
