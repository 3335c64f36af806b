/**
 * A large change of ours is pushed in parts of about 2 MB, each applied on its own by the peer (which
 * answers its own requests between them): a 10,000-task import (~4.5 MB, ten signed batches) reaches a
 * peer in several pushes, whole, and the peer lists every task.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 })

const ROWS = 10_000
let fleet: Fleet
let a: AgentProc, b: AgentProc

beforeAll(async () => {
  fleet = await createFleet()
  a = await fleet.start('alpha', { args: ['--capacity', '0'] })
  b = await fleet.start('bravo', { peers: [a], args: ['--capacity', '0'] })
  await fleet.waitFor(async () => (await fleet.call<{ connections: string[] }>(a, 'status')).connections.length === 1, { message: 'alpha connected to bravo' })
  await fleet.converged([a, b])
})

afterAll(async () => {
  await fleet?.cleanup()
})

interface Status { sizes: { tasks: number; batches: number }; replication: { pushesReceived: number; largestSync: { received: number } | null } }

describe('a large change pushed in parts', () => {
  it('a 10,000-task import reaches a peer in several pushes, whole', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const csv = path.join(src, 'tasks.csv')
    fs.writeFileSync(csv, Array.from({ length: ROWS }, (_, i) => `${src},,,file://${dst},lib,f${i}`).join('\n') + '\n')
    const before = (await fleet.call<Status>(b, 'status')).replication.pushesReceived
    const imported = await fleet.run(['task', 'import', csv], a, { timeoutMs: 120_000 })
    expect(imported.exitCode, imported.stderr).toBe(0)
    await fleet.waitFor(async () => (await fleet.call<Status>(b, 'status')).sizes.tasks === ROWS, { timeoutMs: 60_000, message: 'bravo holds every task' })
    const s = await fleet.call<Status>(b, 'status')
    expect(s.sizes.batches).toBe(ROWS / 1000)
    // ~4.5 MB in parts of about 2 MB: three pushes, not one
    expect(s.replication.pushesReceived - before).toBeGreaterThanOrEqual(3)
    // by push, not pulled again over a sync stream
    expect(s.replication.largestSync?.received ?? 0).toBeLessThan(256 * 1024)
    expect(await fleet.call<unknown[]>(b, 'task.list')).toHaveLength(ROWS)
    await fleet.converged([a, b], { timeoutMs: 60_000 })
  })
})
