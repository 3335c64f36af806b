/**
 * Private network: an agent with another fleet key, or with none (it makes its own), connects to nobody
 * and learns nothing, though it dials a member's address.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

// Real processes on a possibly loaded 2-core machine: generous bounds (every wait still has one).
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 })

let fleet: Fleet
let a: AgentProc, b: AgentProc

beforeAll(async () => {
  fleet = await createFleet({ coreOnly: true })
  a = await fleet.start('alpha')
  b = await fleet.start('bravo', { peers: [a] })
  await fleet.call(a, 'test.writeRecords', { count: 10, prefix: 'secret' })
  await fleet.converged([a, b])
})

afterAll(async () => {
  await fleet?.cleanup()
})

describe('fleet key', () => {
  it('keygen writes a key file mode 0600 and refuses to overwrite it', async () => {
    const file = path.join(fleet.tempDir('k'), 'other.key')
    expect((await fleet.run(['keygen', '--out', file])).exitCode).toBe(0)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    const again = await fleet.run(['keygen', '--out', file])
    expect(again.exitCode).toBe(1)
  })

  it('a bad key file is refused with exit 1 and a one-line reason', async () => {
    const file = path.join(fleet.tempDir('k'), 'bad.key')
    fs.writeFileSync(file, 'not a key\n')
    const r = await fleet.run(['start', '--no-mdns', '--fleet-key', file], fleet.tempDir('badkey'))
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/not a fleet key/)
  })

  it('agents with another key or none connect to nobody and learn nothing', async () => {
    const otherKey = path.join(fleet.tempDir('k'), 'x.key')
    expect((await fleet.run(['keygen', '--out', otherKey])).exitCode).toBe(0)
    const other = await fleet.start('other', { peers: [a, b], fleetKey: otherKey })
    const keyless = await fleet.start('keyless', { peers: [a, b], fleetKey: null })
    expect(keyless.stderr()).toMatch(/created a new fleet key .*every other agent/)
    expect(fs.existsSync(path.join(keyless.dir, 'fleet.key'))).toBe(true)

    // A negative result needs time to be wrong in: wait until both have dialled the members a few times
    // (redial every ~1 s with backoff) while the members keep talking among themselves.
    const until = Date.now() + 5000
    while (Date.now() < until) {
      await fleet.call(b, 'test.writeRecords', { count: 1, prefix: `tick-${Date.now()}` })
      await new Promise((r) => setTimeout(r, 500))
    }
    for (const outsider of [other, keyless]) {
      const s = await fleet.call(outsider, 'status')
      expect(s.connections).toEqual([])
      expect(s.sizes.tasks).toBe(0)
      const rows = JSON.parse((await fleet.run(['agents', '--json'], outsider)).stdout) as { id: string }[]
      expect(rows.map((r) => r.id)).toEqual([outsider.peerId])
    }
    for (const member of [a, b]) {
      const s = await fleet.call(member, 'status')
      expect(s.connections).not.toContain(other.peerId)
      expect(s.connections).not.toContain(keyless.peerId)
      const rows = JSON.parse((await fleet.run(['agents', '--json'], member)).stdout) as { id: string }[]
      expect(rows.map((r) => r.id).sort()).toEqual([a.peerId, b.peerId].sort())
    }
  })
})
