/**
 * Issue 3: when the agent holding tasks is killed (kill -9), the others take them over within the lease
 * TTL plus a few seconds, resume them incrementally and complete them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { addTask, listTasks, makeShare, overlaps, readWorkLog, workIntervals } from './lease-harness.ts'

const TTL_S = 3
let fleet: Fleet
let agents: AgentProc[]

beforeAll(async () => {
  // Slow files so the tasks are still running when their holder dies.
  fleet = await createFleet({ env: { MMESH_TEST_FILE_DELAY_MS: '400', MMESH_CHECKPOINT_MS: '1000' } })
  const first = await fleet.start('f1', { args: ['--capacity', '2', '--lease-ttl', String(TTL_S)] })
  agents = [first]
  for (const n of ['f2', 'f3']) agents.push(await fleet.start(n, { peers: [first], args: ['--capacity', '2', '--lease-ttl', String(TTL_S)] }))
  await waitFor(async () => (await fleet.call<{ state: string }[]>(first, 'agents.list')).filter((a) => a.state === 'online').length === 3, {
    timeoutMs: 30_000,
    message: 'three agents online',
  })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

describe('failover', () => {
  it('takes over both tasks of a killed holder within TTL + 5 s and completes them', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    // Disable f2 and f3 so f1 gets both tasks, then enable them again: the holder is known.
    const [f1, f2, f3] = agents as [AgentProc, AgentProc, AgentProc]
    for (const a of [f2, f3]) expect((await fleet.run(['agent', 'disable', a.peerId], f1)).exitCode).toBe(0)
    const ids = [
      await addTask(fleet, f1, makeShare(src, 'one', 600), dst, ['--folder', 'one']),
      await addTask(fleet, f1, makeShare(src, 'two', 600), dst, ['--folder', 'two']),
    ]
    await waitFor(async () => {
      const t = await listTasks(fleet, f1)
      return t.filter((x) => ids.includes(x.id) && x.agent === f1.peerId && (x.status === 'in-progress' || x.status === 'scanning')).length === 2
    }, { timeoutMs: 30_000, message: 'f1 working on both tasks' })
    for (const a of [f2, f3]) expect((await fleet.run(['agent', 'enable', a.peerId], f1)).exitCode).toBe(0)
    await waitFor(async () => (await listTasks(fleet, f2)).filter((t) => t.counts.migrated > 0).length === 2, { timeoutMs: 30_000, message: 'progress visible on f2' })

    await fleet.kill(f1)
    const killedAt = Date.now()
    // the kill came midway: neither task had finished
    expect((await listTasks(fleet, f2)).filter((t) => ids.includes(t.id) && t.status === 'completed')).toEqual([])
    const takenOver = await waitFor(async () => {
      const t = await listTasks(fleet, f2)
      const mine = t.filter((x) => ids.includes(x.id))
      return mine.every((x) => x.agent !== null && x.agent !== f1.peerId) ? Date.now() : 0
    }, { timeoutMs: (TTL_S + 15) * 1000, intervalMs: 100, message: 'both tasks taken over' })
    expect(takenOver - killedAt).toBeLessThanOrEqual((TTL_S + 5) * 1000)

    const done = await waitFor(async () => {
      const t = (await listTasks(fleet, f2)).filter((x) => ids.includes(x.id))
      return t.every((x) => x.status === 'completed') ? t : null
    }, { timeoutMs: 120_000, intervalMs: 500, message: 'both tasks completed after the takeover' })
    for (const t of done) expect(t.round).toBe(0)
    for (const name of ['one', 'two']) {
      // 300 files and the `sub` folder at the top, 300 files inside it; no temporary leftovers
      expect(fs.readdirSync(path.join(dst, name)).sort()).toEqual([...Array.from({ length: 300 }, (_, i) => `f${i * 2}.txt`), 'sub'].sort())
      expect(fs.readdirSync(path.join(dst, name, 'sub'))).toHaveLength(300)
    }
    // after the kill, the survivors never worked on one task at once
    const intervals = workIntervals(readWorkLog([f2, f3]), Date.now())
    expect(overlaps(intervals)).toEqual([])
  }, 240_000)
})
