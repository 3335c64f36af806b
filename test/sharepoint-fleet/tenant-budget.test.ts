/**
 * Issue 16, "tenant request budget": three real agents migrating to the SharePoint emulator share the
 * fleet's TenantRequestsPerMinute. Counted over 20-second windows (the budget scaled to the window: R/3
 * requests), the emulator serves what the budget allows (±10 %), with three agents and again once one has
 * left and the other two took its share; with the budget lifted the same agents send far more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { startSpEmulator, type SpEmulator } from '../fixtures/sp-emulator/index.ts'
import { listTasks } from '../leases/lease-harness.ts'

let emu: SpEmulator
let fleet: Fleet
let agents: AgentProc[]
let emuDir: string

/** requests per minute for the whole fleet */
const BUDGET = 600
const WINDOW_MS = 20_000
const IDENTITY = new Set(['openid', 'token', 'devicecode'])

beforeAll(async () => {
  emuDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-budget-'))
  emu = await startSpEmulator({ dir: path.join(emuDir, 'emu'), faults: { latencyMs: 5 } })
  fleet = await createFleet({ env: { NODE_EXTRA_CA_CERTS: emu.caFile } })
  const app = emu.issueAppCredentials()
  const pem = path.join(emuDir, 'app.pem')
  fs.writeFileSync(pem, app.cert.pem)
  agents = []
  for (const name of ['b1', 'b2', 'b3']) {
    const dir = fleet.tempDir(name)
    const set = await fleet.run(['auth', 'set', '--tenant', app.tenantId, '--client-id', app.clientId, '--cert', pem, '--authority', emu.authority], dir)
    expect(set.exitCode, set.stderr).toBe(0)
    agents.push(await fleet.start(name, { dir, peers: agents.slice(0, 1), args: ['--capacity', '1'] }))
  }
  await waitFor(async () => (await fleet.call<{ state: string }[]>(agents[0]!, 'agents.list')).filter((a) => a.state === 'online').length === 3, { timeoutMs: 30_000, message: '3 agents online' })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
  await emu?.stop()
  fs.rmSync(emuDir, { recursive: true, force: true })
})

/** SharePoint requests the emulator answered (sign-in excluded) that ended within [from, to). */
function served(from: number, to: number): number {
  return emu.stats.log.filter((r) => r.at >= from && r.at < to && r.status > 0 && !IDENTITY.has(r.kind)).length
}

async function measure(ms: number): Promise<number> {
  const from = Date.now()
  await new Promise((r) => setTimeout(r, ms))
  return served(from, from + ms)
}

describe('the fleet-wide SharePoint request budget (TenantRequestsPerMinute)', () => {
  it('holds three agents together to the budget, and the budget still when one leaves', async () => {
    const set = await fleet.run(['settings', 'set', 'TenantRequestsPerMinute', String(BUDGET)], agents[0]!)
    expect(set.exitCode, set.stderr).toBe(0)
    expect(set.stdout).toContain(`TenantRequestsPerMinute = ${BUDGET}`)
    for (const a of agents) {
      await waitFor(async () => (await fleet.call<{ TenantRequestsPerMinute: number }>(a, 'settings.get')).TenantRequestsPerMinute === BUDGET, { timeoutMs: 10_000, message: `${a.name} to see the budget` })
    }
    const src = fleet.tempDir('src')
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const share = path.join(src, `s${i}`)
      fs.mkdirSync(share, { recursive: true })
      for (let f = 0; f < 1000; f++) fs.writeFileSync(path.join(share, `f${f}.txt`), `share ${i} file ${f}\n`)
      const add = await fleet.run(['task', 'add', '--source', share, '--dest', emu.sites.dev, '--folder', `Budget${i}`], agents[0]!)
      expect(add.exitCode, add.stderr).toBe(0)
      ids.push(add.stdout.trim())
    }
    // every agent uploading (capacity 1 each: one task per agent)
    await waitFor(async () => {
      const all = (await listTasks(fleet, agents[0]!)).filter((x) => ids.includes(x.id))
      const t = all.filter((x) => x.status === 'in-progress')
      if (new Set(t.map((x) => x.agent)).size === 3) return true
      throw new Error(all.map((x) => `${x.status}@${x.agent?.slice(-6)} ${x.counts.migrated}/${x.counts.toMigrate}`).join(', '))
    }, { timeoutMs: 60_000, intervalMs: 200, message: 'three agents uploading' })

    const allowed = (BUDGET * WINDOW_MS) / 60_000
    const three = await measure(WINDOW_MS)

    // One agent leaves: the other two take its share, so the fleet still sends the whole budget.
    const b3Task = (await listTasks(fleet, agents[0]!)).find((x) => ids.includes(x.id) && x.agent === agents[2]!.peerId)!
    // the signal itself, not execa's kill (which sends SIGKILL 2 s later)
    const stopAt = Date.now()
    process.kill(agents[2]!.proc!.pid!, 'SIGTERM')
    expect((await agents[2]!.proc!).exitCode).toBe(0)
    const stopMs = Date.now() - stopAt
    // it let go of its task on the way out (aborting paced requests): queued for the next free slot
    await waitFor(async () => (await listTasks(fleet, agents[0]!)).find((x) => x.id === b3Task.id)?.status === 'queued', { timeoutMs: 10_000, message: "b3's task released" })
    await waitFor(async () => (await fleet.call<{ state: string }[]>(agents[0]!, 'agents.list')).filter((a) => a.state === 'online').length === 2, { timeoutMs: 30_000, message: 'b3 offline' })
    await waitFor(async () => (await fleet.call<{ state: string }[]>(agents[1]!, 'agents.list')).filter((a) => a.state === 'online').length === 2, { timeoutMs: 30_000, message: 'b3 offline for b2' })
    await new Promise((r) => setTimeout(r, 1500))
    const two = await measure(WINDOW_MS)
    // both remaining agents still had work all along (b3's task waits for a free slot)
    const still = (await listTasks(fleet, agents[0]!)).filter((x) => ids.includes(x.id) && x.status === 'in-progress' && x.agent !== agents[2]!.peerId)

    // The budget lifted (0): what the same two agents send on their own, for contrast.
    expect((await fleet.run(['settings', 'set', 'TenantRequestsPerMinute', '0'], agents[0]!)).exitCode).toBe(0)
    for (const a of agents.slice(0, 2)) {
      await waitFor(async () => (await fleet.call<{ TenantRequestsPerMinute: number }>(a, 'settings.get')).TenantRequestsPerMinute === 0, { timeoutMs: 10_000, message: `${a.name} to see the budget lifted` })
    }
    await new Promise((r) => setTimeout(r, 1500))
    const free = await measure(5_000)
    process.stdout.write(`tenant budget: no budget ${free} requests in 5 s; budget ${allowed} per ${WINDOW_MS / 1000} s: 3 agents ${three}, 2 agents ${two}; b3 stopped in ${stopMs} ms\n`)

    expect(still.length, 'the remaining agents ran out of work during the measurement').toBe(2)
    expect(free).toBeGreaterThan(2 * (allowed / 4))
    expect(three).toBeLessThanOrEqual(allowed * 1.1)
    expect(three).toBeGreaterThanOrEqual(allowed * 0.9)
    expect(two).toBeLessThanOrEqual(allowed * 1.1)
    expect(two).toBeGreaterThanOrEqual(allowed * 0.9)
    // held flat, not tipped over: SharePoint never had to say wait
    expect(emu.stats.throttled).toBe(0)
  }, 300_000)
})
