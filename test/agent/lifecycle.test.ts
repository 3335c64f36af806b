/**
 * Peer exchange keeps a fleet joined through one --peer together when that agent goes; the listen port
 * is kept across restarts; a dead agent's leftover control socket gives exit 3 at once; a data dir whose
 * socket path would pass the 108-byte limit still works.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { callAgent } from '../../api/client.ts'
import { CliError } from '../../api/errors.ts'

// Real processes on a possibly loaded 2-core machine: generous bounds (every wait still has one).
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 })

let fleet: Fleet
let a: AgentProc, b: AgentProc, c: AgentProc

beforeAll(async () => {
  fleet = await createFleet({ coreOnly: true })
  a = await fleet.start('alpha')
  ;[b, c] = await Promise.all([fleet.start('bravo', { peers: [a] }), fleet.start('charlie', { peers: [a] })])
})

afterAll(async () => {
  await fleet?.cleanup()
})

describe('agent lifecycle', () => {
  it('agents joined through one --peer connect to each other and stay together when it goes', async () => {
    await fleet.waitFor(async () => (await fleet.call(b, 'status')).connections.includes(c.peerId), { message: 'bravo connected to charlie by peer exchange' })
    await fleet.kill(a)
    await fleet.call(b, 'test.writeRecords', { count: 10, prefix: 'no-alpha' })
    await fleet.converged([b, c])
    expect((await fleet.call(c, 'test.ledger')).validTasks).toBe(10)
  })

  it("a dead agent's leftover socket gives exit 3 at once", async () => {
    // alpha was killed with -9: its socket file is still there
    const sock = path.join(a.dir, 'control.sock')
    expect(fs.existsSync(sock)).toBe(true)
    // the client itself (no CLI start-up in the measurement): refused at once, not after a timeout
    const t0 = Date.now()
    const err = (await callAgent(a.dir, 'agents.list', {}, { timeoutMs: 60_000 }).then(() => null, (e: unknown) => e)) as CliError
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(err).toBeInstanceOf(CliError)
    expect(err.exitCode).toBe(3)
    const r = await fleet.run(['agents', '--json'], a)
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toMatch(/no agent is running on .*mmesh start --data/)
  })

  it('a restart after kill -9 reuses the listen port, and the stale lock does not block it', async () => {
    const before = a.addrs[0]
    await fleet.restart(a)
    expect(a.addrs[0]).toBe(before)
    await fleet.converged([a, b, c])
  })

  it('a data dir too deep for a Unix socket path still gets a control endpoint', async () => {
    const deep = path.join(fleet.tempDir('deep'), 'a'.repeat(60), 'b'.repeat(60))
    fs.mkdirSync(deep, { recursive: true })
    const d = await fleet.start('deep', { dir: deep, peers: [b] })
    const recorded = fs.readFileSync(path.join(deep, 'control.path'), 'utf8').trim()
    expect(Buffer.byteLength(recorded)).toBeLessThan(108)
    expect(fs.statSync(recorded).mode & 0o777).toBe(0o600)
    expect(fs.statSync(deep).mode & 0o777).toBe(0o700)
    const r = await fleet.run(['agents', '--json'], d)
    expect(r.exitCode, r.stderr).toBe(0)
    expect((await fleet.run(['stop'], d)).exitCode).toBe(0)
    expect(fs.existsSync(recorded)).toBe(false)
  })
})
