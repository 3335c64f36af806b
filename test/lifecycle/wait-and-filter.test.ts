/**
 * Issue 16, first part, with real agents over the CLI: `task wait` (exit 0 all completed, 1 any failed or
 * cancelled, 124 on timeout), `task list` filters (--status, --agent by name, --group, --search, with
 * --json), and a cancelled pair of source and destination added again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { addTask, listTasks, makeShare } from '../leases/lease-harness.ts'

let fleet: Fleet
let a: AgentProc
let b: AgentProc

beforeAll(async () => {
  // A slowed destination (250 ms a file) keeps a task running long enough to time out on it.
  fleet = await createFleet({ env: { MMESH_TEST_FILE_DELAY_MS: '250' } })
  a = await fleet.start('wa', { args: ['--group', 'Finance'] })
  b = await fleet.start('wb', { peers: [a] })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

describe('task wait', () => {
  it('exits 0 when every task completed, printing each id and status', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const ids = [await addTask(fleet, a, makeShare(src, 'w1', 2), dst, ['--folder', 'w1']), await addTask(fleet, b, makeShare(src, 'w2', 2), dst, ['--folder', 'w2'])]
    const r = await fleet.run(['task', 'wait', ...ids, '--timeout', '90'], b)
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n').sort()).toEqual(ids.map((id) => `${id} completed`).sort())
  }, 120_000)

  it('exits 124 when the timeout passes first, and 1 once a task is cancelled', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const id = await addTask(fleet, a, makeShare(src, 'slow', 200), dst, ['--folder', 'slow', '--group', 'Finance'])
    const t0 = Date.now()
    const timedOut = await fleet.run(['task', 'wait', id, '--timeout', '2'], a)
    expect(timedOut.exitCode, timedOut.stderr).toBe(124)
    expect(timedOut.stderr).toMatch(/timed out after 2 s: 1 of 1 tasks not finished/)
    expect(Date.now() - t0).toBeLessThan(15_000)
    expect((await fleet.run(['task', 'cancel', id], b)).exitCode).toBe(0)
    const cancelled = await fleet.run(['task', 'wait', id.slice(0, 8), '--timeout', '60'], b)
    expect(cancelled.exitCode, cancelled.stderr).toBe(1)
    expect(cancelled.stdout.trim()).toBe(`${id} cancelled`)
  }, 120_000)

  it('refuses a timeout that is not a number, in one line', async () => {
    const r = await fleet.run(['task', 'wait', 'abcd', '--timeout', 'soon'], a)
    expect(r.exitCode).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/--timeout "soon": not a number of seconds/)
  })
})

describe('task list filters and a cancelled pair', () => {
  it('filters by status, agent name, group and text, also with --json; a bad status is refused', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const fin = await addTask(fleet, a, makeShare(src, 'ledger-q4', 1), dst, ['--folder', 'fin', '--group', 'Finance', '--name', 'Quarterly close'])
    const other = await addTask(fleet, b, makeShare(src, 'hr', 1), dst, ['--folder', 'hr'])
    expect((await fleet.run(['task', 'wait', fin, other, '--timeout', '90'], a)).exitCode).toBe(0)
    const json = async (args: string[]) => {
      const r = await fleet.run(['task', 'list', '--json', ...args], b)
      expect(r.exitCode, r.stderr).toBe(0)
      return (JSON.parse(r.stdout) as { id: string }[]).map((t) => t.id)
    }
    expect(await json(['--group', 'finance', '--search', 'QUARTERLY'])).toEqual([fin])
    expect(await json(['--agent', 'wa', '--search', 'ledger-q4'])).toEqual([fin])
    expect(await json(['--agent', 'wb', '--search', 'ledger-q4'])).toEqual([])
    expect(await json(['--status', 'completed', '--search', `${src}/hr`])).toEqual([other])
    expect(await json(['--status', 'queued,failed', '--search', src])).toEqual([])
    const table = await fleet.run(['task', 'list', '--search', 'Quarterly'], a)
    expect(table.stdout).toContain('Quarterly close')
    expect(table.stdout).not.toContain(other.slice(0, 8))
    const bad = await fleet.run(['task', 'list', '--status', 'done'], a)
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toMatch(/--status "done": not a status; use one of scheduled, queued/)
  }, 120_000)

  it('adds a cancelled pair again; a pair that is not cancelled stays a duplicate', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const share = makeShare(src, 'again', 100)
    const first = await addTask(fleet, a, share, dst, ['--folder', 'again', '--group', 'Finance'])
    const dup = await fleet.run(['task', 'add', '--source', share, '--dest', `file://${dst}`, '--folder', 'again'], a)
    expect(dup.exitCode).toBe(1)
    expect(dup.stderr).toContain(first)
    expect((await fleet.run(['task', 'cancel', first], a)).exitCode).toBe(0)
    const second = await addTask(fleet, a, share, dst, ['--folder', 'again'])
    expect(second).not.toBe(first)
    const tasks = await listTasks(fleet, a)
    expect(tasks.find((t) => t.id === first)?.status).toBe('cancelled')
    expect(tasks.some((t) => t.id === second)).toBe(true)
  }, 120_000)
})
