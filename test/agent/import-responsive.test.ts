/**
 * Issue 18: no control request waits behind an import, a `task list --json` of its tasks, or a fresh
 * agent's pull of them. A 50,000-row import (Migration Manager's most per
 * file) is read, checked and signed a slice at a time, so `agents.list` keeps answering while it runs;
 * only the single write transaction at its end holds the agent. Before, one csv-parse call, the row
 * checks and the signing held every request until the import returned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

const ROWS = 50_000
let fleet: Fleet
let a: AgentProc

beforeAll(async () => {
  fleet = await createFleet()
  a = await fleet.start('importer', { args: ['--capacity', '0'] })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

/** Runs `work` while asking an agent (`a` unless told) for agents.list every 25 ms; answers each ask's time. */
async function pollDuring<T>(work: () => Promise<T>, agent: () => AgentProc | undefined = () => a): Promise<{ answered: { sentAt: number; ms: number }[]; started: number; ended: number; result: T }> {
  const answered: { sentAt: number; ms: number }[] = []
  let working = true
  const poller = (async () => {
    while (working) {
      const target = agent()
      if (!target) {
        await new Promise((r) => setTimeout(r, 25))
        continue
      }
      const sentAt = Date.now()
      await fleet.call(target, 'agents.list')
      answered.push({ sentAt, ms: Date.now() - sentAt })
      await new Promise((r) => setTimeout(r, 25))
    }
  })()
  const started = Date.now()
  try {
    const result = await work()
    return { answered, started, ended: Date.now(), result }
  } finally {
    working = false
    await poller
  }
}

describe('an import does not hold the control API', () => {
  it('answers agents.list all through a 50,000-row import', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const csv = path.join(src, 'tasks.csv')
    fs.writeFileSync(csv, Array.from({ length: ROWS }, (_, i) => `${src},,,file://${dst},lib,f${i}`).join('\n') + '\n')

    const { answered, started, ended, result: imported } = await pollDuring(() => fleet.run(['task', 'import', csv], a, { timeoutMs: 240_000 }))
    expect(imported.exitCode, imported.stderr).toBe(0)
    expect(imported.stdout.trim().split('\n')).toHaveLength(ROWS)

    const during = answered.filter((x) => x.sentAt >= started && x.sentAt + x.ms <= ended)
    const slowest = Math.max(...during.map((x) => x.ms))
    const took = ended - started
    console.log(`${ROWS}-row import: ${(took / 1000).toFixed(2)} s; agents.list answered ${during.length} times meanwhile, slowest ${slowest} ms`)
    // Held whole, the agent answers once or never while the import runs, after about all of it. Here it
    // keeps answering, and no answer waits even half the import (the write at the end is the longest hold).
    expect(during.length).toBeGreaterThanOrEqual(10)
    expect(slowest).toBeLessThan(took / 2)
    // and the import landed whole
    const listed = await fleet.call<unknown[]>(a, 'task.list')
    expect(listed).toHaveLength(ROWS)
  }, 300_000)

  it('answers agents.list while it lists the 50,000 tasks for task list --json', async () => {
    const { answered, started, ended, result: out } = await pollDuring(() => fleet.run(['task', 'list', '--json'], a, { timeoutMs: 120_000 }))
    expect(out.exitCode, out.stderr).toBe(0)
    expect(JSON.parse(out.stdout)).toHaveLength(ROWS)
    const during = answered.filter((x) => x.sentAt >= started && x.sentAt + x.ms <= ended)
    const slowest = Math.max(...during.map((x) => x.ms))
    console.log(`task list --json of ${ROWS}: ${((ended - started) / 1000).toFixed(2)} s; agents.list answered ${during.length} times meanwhile, slowest ${slowest} ms`)
    expect(during.length).toBeGreaterThanOrEqual(5)
    expect(slowest).toBeLessThan((ended - started) / 2)
  }, 120_000)

  it('a fresh agent pulling the 50,000 tasks keeps answering while it reads them', async () => {
    // It pulls the ledger in parts (a sync's large catch-up), and its scheduler and a task list read a
    // change this large a slice at a time.
    let late: AgentProc | undefined
    const { answered, started, ended } = await pollDuring(async () => {
      late = await fleet.start('late', { peers: [a], args: ['--capacity', '0'] })
      await fleet.waitFor(async () => (await fleet.call<unknown[]>(late!, 'task.list')).length === ROWS, { timeoutMs: 120_000, message: 'the fresh agent lists every task' })
      // and a while after, as it settles
      await new Promise((r) => setTimeout(r, 3_000))
    }, () => late)
    const during = answered.filter((x) => x.sentAt >= started && x.sentAt + x.ms <= ended)
    const slowest = Math.max(...during.map((x) => x.ms))
    console.log(`fresh agent pulling ${ROWS}: ${((ended - started) / 1000).toFixed(2)} s to list them all + 3 s; agents.list answered ${during.length} times, slowest ${slowest} ms`)
    expect(during.length).toBeGreaterThanOrEqual(20)
    // pulled as one update and read in its turn, the slowest answer took 1,766 ms here at load 3-5; read
    // in slices, 674 ms; pulled in parts too, 204-357 ms
    expect(slowest).toBeLessThan(1_000)
  }, 200_000)
})
