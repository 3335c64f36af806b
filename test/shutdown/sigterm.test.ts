/**
 * Issue 16, "SIGTERM": an agent told to stop (SIGTERM, as systemd does) while it runs a task lets go of
 * its lease at once, so another agent takes the task over long before the lease TTL would have let it,
 * and the process exits 0 within the TTL, saying in its log which leases it released.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { listTasks } from '../leases/lease-harness.ts'

const TTL_S = 30
let fleet: Fleet
let a: AgentProc
let b: AgentProc

beforeAll(async () => {
  fleet = await createFleet({ env: { MMESH_TEST_FILE_DELAY_MS: '20', MMESH_CHECKPOINT_MS: '1000' } })
  a = await fleet.start('t1', { args: ['--lease-ttl', String(TTL_S)], env: { MMESH_LOG_LEVEL: 'info' } })
  b = await fleet.start('t2', { peers: [a], args: ['--lease-ttl', String(TTL_S)] })
  await waitFor(async () => (await fleet.call<{ state: string }[]>(a, 'agents.list')).filter((x) => x.state === 'online').length === 2, { timeoutMs: 30_000, message: '2 online' })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

describe('SIGTERM to an agent running a task', () => {
  it('releases the lease, another agent takes over well within the TTL, and it exits 0', async () => {
    const src = fleet.tempDir('src')
    for (let i = 0; i < 2000; i++) fs.writeFileSync(path.join(src, `f${i}.txt`), `file ${i}\n`)
    const dst = fleet.tempDir('dst')
    // t2 is disabled until the task runs on t1, so we know which agent to stop
    expect((await fleet.run(['agent', 'disable', 't2'], a)).exitCode).toBe(0)
    const add = await fleet.run(['task', 'add', '--source', src, '--dest', `file://${dst}`], a)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    await waitFor(async () => {
      const t = (await listTasks(fleet, a)).find((x) => x.id === id)
      return t?.status === 'in-progress' && t.agent === a.peerId && t.counts.migrated > 50
    }, { timeoutMs: 60_000, intervalMs: 100, message: 'the task under way on t1' })
    expect((await fleet.run(['agent', 'enable', 't2'], a)).exitCode).toBe(0)
    await waitFor(async () => (await fleet.call<{ name: string; state: string }[]>(b, 'agents.list')).find((x) => x.name === 't2')?.state === 'online', { timeoutMs: 10_000, message: 't2 enabled' })

    const t0 = Date.now()
    // the signal itself, not execa's kill (which sends SIGKILL 2 s later)
    process.kill(a.proc!.pid!, 'SIGTERM')
    // the other agent holds the task (a new epoch of the same round) long before the TTL ran out
    const taken = await waitFor(async () => {
      const t = (await listTasks(fleet, b)).find((x) => x.id === id)
      return t?.agent === b.peerId && (t.status === 'in-progress' || t.status === 'scanning' || t.status === 'completed') ? t : null
    }, { timeoutMs: TTL_S * 1000, intervalMs: 100, message: 't2 to take the task over' })
    const takeoverMs = Date.now() - t0
    expect(taken.round).toBe(0)
    const exit = await Promise.race([a.proc!, new Promise<null>((r) => setTimeout(() => r(null), TTL_S * 1000 - (Date.now() - t0)))])
    const exitMs = Date.now() - t0
    process.stdout.write(`sigterm: t2 took the task over ${takeoverMs} ms after SIGTERM; t1 exited after ${exitMs} ms (TTL ${TTL_S} s)\n`)
    expect(exit, 't1 did not exit within the lease TTL').not.toBeNull()
    expect(exit!.exitCode).toBe(0)
    expect(exit!.signal ?? null).toBeNull()
    expect(takeoverMs).toBeLessThan((TTL_S * 1000) / 3)
    // its log names the lease it released
    const log = fs.readFileSync(path.join(a.dir, 'logs', 'agent.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; tasks?: string[] })
    const released = log.find((l) => l.msg === 'released leases')
    expect(released, 'no "released leases" line in the log').toBeDefined()
    expect(released!.tasks).toEqual([id])
    expect(a.stderr()).not.toMatch(/uncaught|unhandled/i)
    // and the task completes on t2
    await waitFor(async () => (await listTasks(fleet, b)).find((x) => x.id === id)?.status === 'completed', { timeoutMs: 120_000, intervalMs: 500, message: 'the task completed on t2' })
  }, 240_000)
})
