/**
 * Issue 3: 4 agents of capacity 2 share 40 tasks added on one of them; every task completes, no two
 * agents ever work on one task at the same time, and the work is spread evenly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { listTasks, makeShare, overlaps, readWorkLog, workIntervals } from './lease-harness.ts'

let fleet: Fleet
let agents: AgentProc[]

beforeAll(async () => {
  fleet = await createFleet({ env: { MMESH_TEST_FILE_DELAY_MS: '250', MMESH_SETTLE_MS: '600' } })
  const first = await fleet.start('a1', { args: ['--capacity', '2', '--lease-ttl', '5'] })
  agents = [first]
  for (const n of ['a2', 'a3', 'a4']) agents.push(await fleet.start(n, { peers: [first], args: ['--capacity', '2', '--lease-ttl', '5'] }))
  await waitFor(async () => {
    const list = (await fleet.call<{ state: string }[]>(first, 'agents.list')) ?? []
    return list.filter((a) => a.state === 'online').length === 4
  }, { timeoutMs: 30_000, message: 'four agents online' })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

describe('balancing 40 tasks over 4 agents of capacity 2', () => {
  it('completes every task, one agent at a time per task, evenly spread', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    // Migration Manager's bulk CSV: the way 40 tasks arrive in practice (all at once).
    const rows = Array.from({ length: 40 }, (_, i) => `${makeShare(src, `share${i}`, 6)},,,file://${dst},lib,t${i}`)
    const csv = path.join(src, 'tasks.csv')
    fs.writeFileSync(csv, `${rows.join('\n')}\n`)
    const imported = await fleet.run(['task', 'import', csv], agents[0]!)
    expect(imported.stderr).toBe('')
    expect(imported.stdout.trim().split('\n')).toHaveLength(40)
    const tasks = await waitFor(async () => {
      const t = await listTasks(fleet, agents[0]!)
      return t.length === 40 && t.every((x) => x.status === 'completed') ? t : null
    }, { timeoutMs: 150_000, intervalMs: 500, message: 'all 40 tasks completed' })

    // every file landed
    for (let i = 0; i < 40; i++) expect(fs.readdirSync(path.join(dst, 'lib', `t${i}`, 'sub')).length).toBe(3)

    const intervals = workIntervals(readWorkLog(agents), Date.now())
    expect(overlaps(intervals)).toEqual([])
    const perAgent = new Map<string, number>()
    for (const t of tasks) perAgent.set(t.agent!, (perAgent.get(t.agent!) ?? 0) + 1)
    expect(perAgent.size).toBe(4)
    for (const n of perAgent.values()) expect(Math.abs(n - 10)).toBeLessThanOrEqual(3)
    // every agent's ledger holds the same outcome
    await fleet.converged(agents)
  }, 200_000)
})
