/**
 * Issue 16, task lifecycle, with real agents over the CLI: delete (refused while running; gone from the
 * list, `task show` and reports; a delete made while an agent was cut off holds there after the heal),
 * archive / unarchive (hidden from the list unless --archived, kept in reports; the pair may be added
 * again).
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { addTask, listTasks, makeShare } from '../leases/lease-harness.ts'

let fleet: Fleet
let a: AgentProc
let b: AgentProc

beforeAll(async () => {
  fleet = await createFleet({ env: { MMESH_TEST_FILE_DELAY_MS: '200' } })
  a = await fleet.start('la')
  b = await fleet.start('lb', { peers: [a] })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

const ids = async (agent: AgentProc, extra: string[] = []) => {
  const r = await fleet.run(['task', 'list', '--json', ...extra], agent)
  expect(r.exitCode, r.stderr).toBe(0)
  return (JSON.parse(r.stdout) as { id: string }[]).map((t) => t.id)
}

const summary = async (agent: AgentProc): Promise<string> => {
  const out = fleet.tempDir('report')
  const r = await fleet.run(['report', '--out', out], agent)
  expect(r.exitCode, r.stderr).toBe(0)
  return fs.readFileSync(path.join(out, 'Aggregate Summary Report.csv'), 'utf8')
}

describe('task delete', () => {
  it('refuses a running task, then deletes it once cancelled: gone from list, show and reports on every agent', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const id = await addTask(fleet, a, makeShare(src, 'busy', 300), dst, ['--folder', 'busy'])
    const running = async () => (await listTasks(fleet, a)).find((t) => t.id === id)?.status
    for (let i = 0; i < 150 && !['scanning', 'in-progress'].includes((await running()) ?? ''); i++) await new Promise((r) => setTimeout(r, 100))
    const refused = await fleet.run(['task', 'delete', id], b)
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(/is (scanning|in-progress): pause or cancel it first/)
    expect(await ids(b)).toContain(id)
    expect((await fleet.run(['task', 'cancel', id], a)).exitCode).toBe(0)
    const deleted = await fleet.run(['task', 'delete', id.slice(0, 8)], b)
    expect(deleted.exitCode, deleted.stderr).toBe(0)
    expect(deleted.stdout.trim()).toBe(`deleted ${id}`)
    await fleet.converged([a, b], { timeoutMs: 30_000 })
    for (const agent of [a, b]) {
      expect(await ids(agent)).not.toContain(id)
      const show = await fleet.run(['task', 'show', id], agent)
      expect(show.exitCode).toBe(1)
      expect(show.stderr).toContain(`no task ${id}`)
    }
    expect(await summary(a)).not.toContain(id)
  }, 120_000)

  it('a delete made while an agent was cut off holds there after the heal; all or none of several ids', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const id = await addTask(fleet, a, makeShare(src, 'split', 2), dst, ['--folder', 'split'])
    const keep = await addTask(fleet, a, makeShare(src, 'keep', 2), dst, ['--folder', 'keep'])
    expect((await fleet.run(['task', 'wait', id, keep, '--timeout', '60'], a)).exitCode).toBe(0)
    await fleet.converged([a, b], { timeoutMs: 30_000 })
    // one unknown id: nothing is deleted
    const partial = await fleet.run(['task', 'delete', id, 'ffffffff-0000'], a)
    expect(partial.exitCode).toBe(1)
    expect(await ids(a)).toContain(id)
    await fleet.split([a], [b])
    expect((await fleet.run(['task', 'delete', id], a)).exitCode).toBe(0)
    expect(await ids(b)).toContain(id)
    await fleet.heal()
    await fleet.converged([a, b], { timeoutMs: 60_000 })
    expect(await ids(b)).not.toContain(id)
    expect(await ids(b)).toContain(keep)
  }, 180_000)
})

describe('task archive and unarchive', () => {
  it('hides a task from the list (shown with --archived), keeps it in reports, frees its pair, and unarchive brings it back', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const share = makeShare(src, 'old', 2)
    const id = await addTask(fleet, a, share, dst, ['--folder', 'old'])
    expect((await fleet.run(['task', 'wait', id, '--timeout', '60'], a)).exitCode).toBe(0)
    const archived = await fleet.run(['task', 'archive', id], b)
    expect(archived.exitCode, archived.stderr).toBe(0)
    expect(archived.stdout.trim()).toBe(`archived ${id}`)
    await fleet.converged([a, b], { timeoutMs: 30_000 })
    expect(await ids(a)).not.toContain(id)
    expect(await ids(a, ['--archived'])).toEqual([id])
    expect((await fleet.run(['task', 'show', id, '--json'], a)).stdout).toMatch(/"archived": true/)
    expect(await summary(b)).toContain(id)
    // the pair is free again while the old task is archived
    const again = await addTask(fleet, b, share, dst, ['--folder', 'old'])
    expect(again).not.toBe(id)
    expect((await fleet.run(['task', 'unarchive', id], a)).exitCode).toBe(0)
    expect(await ids(a)).toEqual(expect.arrayContaining([id, again]))
    expect(await ids(a, ['--archived'])).toEqual([])
  }, 120_000)
})
