/**
 * Three real agents joined with --peer converge; `agents --json` on each lists all three online; a
 * change made on any one reaches all; a second start on a used DIR exits 2; `mmesh stop` exits 0.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

// Real processes on a possibly loaded 2-core machine: generous bounds (every wait still has one).
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 })

let fleet: Fleet
let a: AgentProc, b: AgentProc, c: AgentProc

beforeAll(async () => {
  // The core alone: these tests are about replication, not about what runs on top of it.
  fleet = await createFleet({ coreOnly: true })
  a = await fleet.start('alpha')
  ;[b, c] = await Promise.all([fleet.start('bravo', { peers: [a] }), fleet.start('charlie', { peers: [a] })])
})

afterAll(async () => {
  await fleet?.cleanup()
})

describe('three agents with --peer', () => {
  it('list each other online on every agent (agents --json)', async () => {
    for (const agent of [a, b, c]) {
      await fleet.waitFor(async () => {
        const r = await fleet.run(['agents', '--json'], agent)
        if (r.exitCode !== 0) throw new Error(r.stderr)
        const rows = JSON.parse(r.stdout) as { id: string; name: string; state: string; group: string; capacity: number }[]
        const online = rows.filter((x) => x.state === 'online').map((x) => x.id).sort()
        return online.length === 3 && JSON.stringify(online) === JSON.stringify([a.peerId, b.peerId, c.peerId].sort()) ? rows : null
      }, { timeoutMs: 60_000, message: `3 online agents on ${agent.name}` })
    }
    const rows = JSON.parse((await fleet.run(['agents', '--json'], b)).stdout) as Record<string, unknown>[]
    const alpha = rows.find((x) => x.id === a.peerId)!
    expect(alpha).toMatchObject({ name: 'alpha', group: 'Default', state: 'online', capacity: 5, running: 0 })
    expect(Object.keys(alpha).sort()).toEqual(['capacity', 'catchingUp', 'group', 'host', 'id', 'lastSeen', 'maxMbps', 'name', 'nextWork', 'override', 'running', 'state', 'waitingReason', 'window'])
    expect(alpha).toMatchObject({ catchingUp: null, maxMbps: null, window: null, nextWork: null, override: {}, waitingReason: null })
  })

  it('a change made on any agent is on all three', async () => {
    await fleet.call(c, 'test.writeRecords', { count: 5, prefix: 'from-c' })
    await fleet.call(b, 'test.writeRecords', { count: 5, prefix: 'from-b' })
    const hash = await fleet.converged([a, b, c])
    for (const agent of [a, b, c]) {
      const l = await fleet.call(agent, 'test.ledger')
      expect(l.hash).toBe(hash)
      expect(l.validTasks).toBe(10)
    }
    const rec = await fleet.call(a, 'test.read', { map: 'tasks', key: 'from-c-3' })
    expect(rec.typed).toMatchObject({ id: 'from-c-3', createdBy: c.peerId })
  })

  it('agent disable / enable by name is seen by every agent', async () => {
    const r = await fleet.run(['agent', 'disable', 'charlie'], a)
    expect(r.exitCode, r.stderr).toBe(0)
    for (const agent of [a, b, c]) {
      await fleet.waitFor(async () => {
        const rows = JSON.parse((await fleet.run(['agents', '--json'], agent)).stdout) as { id: string; state: string }[]
        return rows.find((x) => x.id === c.peerId)?.state === 'disabled'
      }, { timeoutMs: 60_000, message: `charlie disabled on ${agent.name}` })
    }
    expect((await fleet.run(['agent', 'enable'], c)).exitCode).toBe(0)
    await fleet.waitFor(async () => {
      const rows = JSON.parse((await fleet.run(['agents', '--json'], b)).stdout) as { id: string; state: string }[]
      return rows.find((x) => x.id === c.peerId)?.state === 'online'
    }, { timeoutMs: 60_000, message: 'charlie enabled again' })
    const bad = await fleet.run(['agent', 'disable', 'nobody-by-that-name'], a)
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toMatch(/no agent nobody-by-that-name/)
  })

  it('a second start on the same data dir exits 2 at once', async () => {
    const t0 = Date.now()
    const r = await fleet.run(['start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--fleet-key', fleet.keyFile], a, { timeoutMs: 60_000 })
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/in use/)
    // a hang would last until the harness timeout; CLI start-up alone can take seconds on a loaded box
    expect(Date.now() - t0).toBeLessThan(60_000)
  })

  it('flag errors exit 1 with one line', async () => {
    const r = await fleet.run(['start', '--capacity', 'lots'], fleet.tempDir('bad'))
    expect(r.exitCode).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/--capacity/)
  })

  it('mmesh stop exits 0, the process ends with 0, and later calls exit 3', async () => {
    const r = await fleet.run(['stop'], c)
    expect(r.exitCode, r.stderr).toBe(0)
    const done = await c.proc!
    expect(done.exitCode).toBe(0)
    const after = await fleet.run(['agents'], c)
    expect(after.exitCode).toBe(3)
    expect(after.stderr).toMatch(/mmesh start --data/)
  })
})
