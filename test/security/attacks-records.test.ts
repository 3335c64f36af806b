/**
 * Issue 15, records that try to freeze the fleet: a fleet member (agent b) writes, straight into the
 * ledger or its heartbeat, what no CLI command would — an admin command dated years ahead, disables
 * with no or a forged signature, a SharePoint back-off until 2099. Agent a stays enabled on every agent,
 * keeps running tasks, still obeys a real disable and enable, and finishes SharePoint work within the
 * back-off the peer quoted. Real agents, the real CLI, the SharePoint emulator.
 *
 * The back-off cap when a peer quotes no wait at all (15 minutes) is covered by the unit tests of
 * agent/destinations/fleet-backoff.test.ts: waiting it out here would take a quarter of an hour.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { startSpEmulator, type SpEmulator } from '../fixtures/sp-emulator/index.ts'
import { formatHlc } from '../../protocol/hlc.ts'

let emu: SpEmulator
let emuDir: string
let fleet: Fleet
let a: AgentProc, b: AgentProc
let shares: string, out: string

interface AgentRow {
  id: string
  name: string
  state: string
  live?: { backoffUntil: string | null } | null
}
interface Shown {
  id: string
  status: string
  agent: string | null
  failureReason: string | null
  counts: { migrated: number; failed: number }
}

const YEAR_MS = 365 * 24 * 3600_000

beforeAll(async () => {
  emuDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-sec-sp-'))
  emu = await startSpEmulator({ dir: path.join(emuDir, 'emu') })
  const app = emu.issueAppCredentials()
  const pem = path.join(emuDir, 'app.pem')
  fs.writeFileSync(pem, app.cert.pem)
  fleet = await createFleet({ env: { NODE_EXTRA_CA_CERTS: emu.caFile } })
  shares = path.join(fleet.root, 'shares')
  out = path.join(fleet.root, 'out')
  for (const d of [shares, out, path.join(fleet.root, 'b-shares'), path.join(fleet.root, 'b-out')]) fs.mkdirSync(d)
  // a alone may run the tests' tasks: b reads and writes elsewhere and has no SharePoint credentials.
  const aDir = fleet.tempDir('a')
  const set = await fleet.run(['auth', 'set', '--tenant', app.tenantId, '--client-id', app.clientId, '--cert', pem, '--authority', emu.authority], aDir)
  expect(set.exitCode, set.stderr).toBe(0)
  a = await fleet.start('a', { dir: aDir, roots: { source: [shares], dest: [out] } })
  b = await fleet.start('b', { peers: [a], roots: { source: [path.join(fleet.root, 'b-shares')], dest: [path.join(fleet.root, 'b-out')] } })
  await waitFor(async () => (await fleet.call<AgentRow[]>(a, 'agents.list')).filter((x) => x.state === 'online').length === 2, { timeoutMs: 30_000, message: 'both agents online' })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
  await emu?.stop()
  if (emuDir) fs.rmSync(emuDir, { recursive: true, force: true })
})

/** a's state as `mmesh agents --json` on `on` prints it. */
async function stateOfA(on: AgentProc): Promise<string> {
  const r = await fleet.run(['agents', '--json'], on)
  expect(r.exitCode, r.stderr).toBe(0)
  return (JSON.parse(r.stdout) as AgentRow[]).find((x) => x.id === a.peerId)!.state
}

async function expectAEverywhere(state: string): Promise<void> {
  for (const on of [a, b]) await waitFor(async () => (await stateOfA(on)) === state, { timeoutMs: 20_000, message: `a to be ${state} on ${on.name}` })
}

/** The raw record has reached a (so a has read it, and made of it what it did). */
async function replicatedToA(key: string): Promise<void> {
  await waitFor(async () => (await fleet.call<{ raw: unknown }>(a, 'test.read', { map: 'commands', key })).raw !== null, { timeoutMs: 20_000, message: `command ${key} to reach a` })
}

let shareN = 0
/** A file:// task only a may run, added through b; resolves when a has completed it. */
async function aRunsATask(): Promise<Shown> {
  const name = `share${shareN++}`
  const src = path.join(shares, name)
  fs.mkdirSync(src)
  for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(src, `f${i}.txt`), `${name} ${i}\n`)
  fs.mkdirSync(path.join(out, name))
  const add = await fleet.run(['task', 'add', '--source', src, '--dest', `file://${out}/${name}`], b)
  expect(add.exitCode, add.stderr).toBe(0)
  const t = await waitFor(async () => {
    const v = await fleet.call<Shown>(b, 'task.show', { id: add.stdout.trim() })
    return v.status === 'completed' || v.status === 'failed' ? v : null
  }, { timeoutMs: 60_000, message: `task on ${name} to end` })
  expect(t.status).toBe('completed')
  expect(t.agent).toBe(a.peerId)
  expect(fs.readdirSync(path.join(out, name)).sort()).toEqual(['f0.txt', 'f1.txt', 'f2.txt'])
  return t
}

describe('admin records that try to stop an agent', () => {
  it('a disable dated years ahead (signed by b) is ignored everywhere: a stays enabled, runs tasks, obeys a real disable and enable', async () => {
    const { key } = await fleet.call<{ key: string }>(b, 'test.signedCommand', { kind: 'agent.disable', target: a.peerId, wallMs: Date.now() + 3 * YEAR_MS })
    await replicatedToA(key)
    await expectAEverywhere('online')
    await aRunsATask()

    // Were the record believed it would sort after these two and keep a disabled for three years.
    expect((await fleet.run(['agent', 'disable', 'a'], b)).exitCode).toBe(0)
    await expectAEverywhere('disabled')
    expect((await fleet.run(['agent', 'enable', 'a'], b)).exitCode).toBe(0)
    await expectAEverywhere('online')
    await aRunsATask()
  }, 180_000)

  it('disables without a signature, with a bad one, or in a\'s own name are ignored: a stays enabled and runs tasks', async () => {
    // Dated a second ahead (within the allowed skew): believed, each would be the latest word on a.
    const hlcOf = (node: string) => formatHlc({ wallMs: Date.now() + 1000, counter: 7, node })
    const forged = (by: string, sig?: string) => {
      const hlc = hlcOf(by)
      return { key: `${by}/${hlc}`, value: { v: 1, kind: 'agent.disable', hlc, by, target: a.peerId, ...(sig === undefined ? {} : { sig }) } }
    }
    const records = [forged(b.peerId), forged(b.peerId, 'A'.repeat(86)), forged(a.peerId, Buffer.alloc(64, 7).toString('base64'))]
    for (const r of records) await fleet.call(b, 'test.writeRaw', { map: 'commands', key: r.key, value: r.value })
    for (const r of records) await replicatedToA(r.key)
    await expectAEverywhere('online')
    await aRunsATask()
  }, 120_000)
})

describe('a SharePoint back-off without end', () => {
  it('b announces a back-off until 2099 quoting a few seconds: a waits those seconds at most, and finishes', async () => {
    const quotedMs = 8000
    await fleet.call(b, 'test.presenceField', { key: 'backoffUntil', value: '2099-01-01T00:00:00.000Z' })
    await fleet.call(b, 'test.presenceField', { key: 'backoffForMs', value: quotedMs })
    // a has heard it: its fleet view shows b backing off until 2099.
    await waitFor(async () => {
      const snap = await fleet.call<{ agents: AgentRow[] }>(a, 'fleet.snapshot')
      return snap.agents.find((x) => x.id === b.peerId)?.live?.backoffUntil === '2099-01-01T00:00:00.000Z'
    }, { timeoutMs: 20_000, message: "b's back-off to reach a" })

    const src = path.join(shares, 'sp-share')
    fs.mkdirSync(src)
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(src, `doc${i}.txt`), `doc ${i}\n`)
    const started = Date.now()
    const add = await fleet.run(['task', 'add', '--source', src, '--dest', emu.sites.dev, '--library', 'Documents', '--folder', 'Backoff'], a)
    expect(add.exitCode, add.stderr).toBe(0)
    const t = await waitFor(async () => {
      const v = await fleet.call<Shown>(a, 'task.show', { id: add.stdout.trim() })
      return v.status === 'completed' || v.status === 'failed' ? v : null
    }, { timeoutMs: 90_000, intervalMs: 250, message: 'the SharePoint task to end (a back-off believed until 2099 never ends it)' })
    const took = Date.now() - started
    expect(t.status, t.failureReason ?? '').toBe('completed')
    expect(t.agent).toBe(a.peerId)
    expect(t.counts.migrated).toBe(10)
    for (let i = 0; i < 10; i++) expect(await emu.readFile(`/sites/dev/Shared Documents/Backoff/doc${i}.txt`), `doc${i}`).not.toBeNull()
    // a did hold back (counted from when its SharePoint work first asked), for the quoted wait, not the date.
    expect(took).toBeGreaterThanOrEqual(quotedMs - 500)
    await fleet.call(b, 'test.presenceField', { key: 'backoffUntil', value: null })
    await fleet.call(b, 'test.presenceField', { key: 'backoffForMs', value: null })
  }, 150_000)
})
