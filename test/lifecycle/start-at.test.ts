/**
 * Issue 16, Run later, with real agents over the CLI: a task added with --start-at shows as scheduled,
 * no agent claims it before its time, and it starts within a few seconds after; StartAt in a bulk JSON;
 * a time without a zone is refused in one line.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { listTasks, makeShare } from '../leases/lease-harness.ts'

let fleet: Fleet
let a: AgentProc
let b: AgentProc

beforeAll(async () => {
  fleet = await createFleet()
  a = await fleet.start('sa')
  b = await fleet.start('sb', { peers: [a] })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

describe('Run later (--start-at)', () => {
  it('is scheduled, not claimed before its time, and starts within seconds after it', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const startAt = new Date(Date.now() + 8000)
    const add = await fleet.run(['task', 'add', '--source', makeShare(src, 'later', 3), '--dest', `file://${dst}`, '--start-at', startAt.toISOString()], a)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    const show = await fleet.run(['task', 'show', id], b)
    expect(show.stdout).toMatch(/Status\s+scheduled/)
    expect(show.stdout).toContain(`Starts at   ${startAt.toISOString()}`)
    // watched on both agents every 200 ms until it completes: no claim before the time
    let completedAt = 0
    for (let i = 0; i < 150 && completedAt === 0; i++) {
      for (const agent of [a, b]) {
        const t = (await listTasks(fleet, agent)).find((x) => x.id === id)!
        if (Date.now() < startAt.getTime() - 300) {
          expect(t.agent, `claimed before its time on ${agent.name}`).toBeNull()
          expect(t.status).toBe('scheduled')
        }
        if (t.status === 'completed') completedAt = Date.now()
      }
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(completedAt).toBeGreaterThanOrEqual(startAt.getTime())
    expect(completedAt - startAt.getTime()).toBeLessThan(10_000)
    const view = await fleet.call<{ startedAt: string; status: string }>(a, 'task.show', { id })
    expect(Date.parse(view.startedAt)).toBeGreaterThanOrEqual(startAt.getTime())
  }, 120_000)

  it('takes StartAt in a bulk JSON and lists the task as scheduled; refuses a time without a zone', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const json = path.join(src, 'later.json')
    fs.writeFileSync(json, JSON.stringify({ Tasks: [{ SourcePath: makeShare(src, 'bulk', 1), TargetPath: `file://${dst}`, TargetList: 'Documents', StartAt: '2099-01-01T00:00:00+01:00' }] }))
    const imp = await fleet.run(['task', 'import', json], b)
    expect(imp.exitCode, imp.stderr).toBe(0)
    const id = imp.stdout.trim()
    const r = await fleet.run(['task', 'list', '--status', 'scheduled', '--json'], a)
    const t = (JSON.parse(r.stdout) as { id: string; startAt: string }[]).find((x) => x.id === id)
    expect(t?.startAt).toBe('2098-12-31T23:00:00.000Z')
    const bad = await fleet.run(['task', 'add', '--source', makeShare(src, 'nozone', 1), '--dest', `file://${dst}`, '--start-at', '2099-01-01 19:00'], a)
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(bad.stderr).toMatch(/start-at: "2099-01-01 19:00" is not an ISO 8601 time with a zone/)
  }, 60_000)
})
