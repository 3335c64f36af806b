/**
 * Issue 5 with agents as real processes: credentials set with `mmesh auth set` on each agent, tasks to a
 * SharePoint site on the local emulator land byte-identical with their times, a rerun after changes sends
 * only the changed files, a task with a wrong site fails saying so, and when one agent is told to wait
 * the whole fleet holds back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { startSpEmulator, type SpEmulator } from '../fixtures/sp-emulator/index.ts'
import { SourceTree } from '../fixtures/source-tree.ts'
import { DEFAULT_SETTINGS } from '../../protocol/settings.ts'
import { listTasks, makeShare } from '../leases/lease-harness.ts'

let emu: SpEmulator
let fleet: Fleet
let agents: AgentProc[]
let emuDir: string
let appClientId: string
const OFFICE = /\.(doc[xm]|xls[xmb]|ppt[xm])$/i

beforeAll(async () => {
  emuDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-spfleet-'))
  emu = await startSpEmulator({ dir: path.join(emuDir, 'emu'), faults: { latencyMs: 5 } })
  fleet = await createFleet({ env: { NODE_EXTRA_CA_CERTS: emu.caFile } })
  const app = emu.issueAppCredentials()
  appClientId = app.clientId
  const pem = path.join(emuDir, 'app.pem')
  fs.writeFileSync(pem, app.cert.pem)
  agents = []
  for (const name of ['sp1', 'sp2']) {
    const dir = fleet.tempDir(name)
    const set = await fleet.run(['auth', 'set', '--tenant', app.tenantId, '--client-id', app.clientId, '--cert', pem, '--authority', emu.authority], dir)
    expect(set.exitCode, set.stderr).toBe(0)
    agents.push(await fleet.start(name, { dir, peers: agents.slice(0, 1), args: ['--capacity', '2'] }))
  }
  await waitFor(async () => (await fleet.call<{ state: string }[]>(agents[0]!, 'agents.list')).filter((a) => a.state === 'online').length === 2, { timeoutMs: 30_000 })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
  await emu?.stop()
  fs.rmSync(emuDir, { recursive: true, force: true })
})

async function completed(id: string, timeoutMs = 180_000) {
  return waitFor(async () => {
    const t = (await listTasks(fleet, agents[1]!)).find((x) => x.id === id)
    return t && (t.status === 'completed' || t.status === 'failed') ? t : null
  }, { timeoutMs, intervalMs: 500, message: `task ${id} to end` })
}

describe('SharePoint destinations run by the fleet', () => {
  it('lands a share byte-identical with its times, and a rerun sends only what changed', async () => {
    const tree = await SourceTree.create({ root: path.join(fleet.tempDir('src'), 'share'), smallFiles: 40, depth: 4 })
    const add = await fleet.run(['task', 'add', '--source', tree.root, '--dest', emu.sites.dev, '--library', 'Documents', '--folder', 'Fleet'], agents[0]!)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    const t = await completed(id)
    expect(t.status).toBe('completed')

    const expected = tree.expected(DEFAULT_SETTINGS, `${emu.sites.dev}/Shared Documents/Fleet`)
    let files = 0
    for (const [rel, e] of expected) {
      const item = tree.items.get(rel)!
      if (e.status !== 'Migrated' || item.isFolder) continue
      const url = `/sites/dev/Shared Documents/Fleet/${e.destRel}`
      const bytes = await emu.readFile(url)
      expect(bytes, url).not.toBeNull()
      // SharePoint rewrites Office documents (property promotion): those are compared by name and time only
      if (!OFFICE.test(rel)) expect(Buffer.compare(bytes!, fs.readFileSync(tree.abs(rel))), url).toBe(0)
      expect(Math.abs(emu.meta(url)!.timeLastModified - item.mtimeMs), url).toBeLessThan(1000)
      files++
    }
    expect(files).toBeGreaterThan(40)
    expect(t.counts.failed).toBe([...expected.values()].filter((e) => e.status === 'Failed').length)

    const mutation = await tree.mutate()
    const before = emu.stats.uploads
    expect((await fleet.run(['task', 'rerun', id], agents[1]!)).exitCode).toBe(0)
    await waitFor(async () => {
      const x = (await listTasks(fleet, agents[0]!)).find((y) => y.id === id)
      return x?.round === 1 && x.status === 'completed'
    }, { timeoutMs: 180_000, intervalMs: 500, message: 'the rerun to complete' })
    expect(emu.stats.uploads - before).toBe(mutation.changed.length + mutation.added.length)
  }, 300_000)

  it('sets Author/Editor from the agent\'s user-mapping file, by the owner of each source file, and picks up a new file without a restart', async () => {
    // One agent runs both tasks: the second one must see the mapping file added after the first.
    expect((await fleet.run(['agent', 'disable', 'sp2'], agents[0]!)).exitCode).toBe(0)
    await waitFor(async () => (await fleet.call<{ name: string; state: string }[]>(agents[1]!, 'agents.list')).find((a) => a.name === 'sp2')?.state === 'disabled', { timeoutMs: 30_000, message: 'sp2 to know it is disabled' })
    const meta = (folder: string, n: string) => emu.meta(`/sites/dev/Shared Documents/${folder}/${n}`)!
    const run = async (name: string, folder: string) => {
      const src = makeShare(fleet.tempDir('src'), name, 4)
      const names = fs.readdirSync(src).filter((n) => fs.statSync(path.join(src, n)).isFile()).sort()
      fs.chownSync(path.join(src, names[1]!), 65534, 65534)
      const add = await fleet.run(['task', 'add', '--source', src, '--dest', emu.sites.dev, '--library', 'Documents', '--folder', folder], agents[0]!)
      expect(add.exitCode, add.stderr).toBe(0)
      expect((await completed(add.stdout.trim())).status).toBe('completed')
      return names
    }
    try {
      // no mapping yet: the app's identity
      const before = await run('owners0', 'Owners0')
      expect(meta('Owners0', before[0]!).author).toContain(appClientId)
      expect(meta('Owners0', before[1]!).author).toContain(appClientId)
      // Migration Manager's format: no header; source login, destination UPN, TRUE for a group. The test's
      // files belong to root and to nobody (uid 65534).
      for (const a of agents) fs.writeFileSync(path.join(a.dir, 'user-mapping.csv'), 'root,alice@contoso.com,FALSE\nnobody,bob@contoso.com,FALSE\n')
      const names = await run('owners', 'Owners')
      expect(meta('Owners', names[0]!).author).toBe('i:0#.f|membership|alice@contoso.com')
      expect(meta('Owners', names[1]!).author).toBe('i:0#.f|membership|bob@contoso.com')
      expect(meta('Owners', names[1]!).editor).toBe('i:0#.f|membership|bob@contoso.com')
    } finally {
      for (const a of agents) fs.rmSync(path.join(a.dir, 'user-mapping.csv'), { force: true })
      expect((await fleet.run(['agent', 'enable', 'sp2'], agents[0]!)).exitCode).toBe(0)
    }
  }, 300_000)

  it('fails a task whose site does not exist, saying which and what to do', async () => {
    const src = makeShare(fleet.tempDir('src'), 'nosite', 3)
    // a task-scope error waits out the retry window (TaskRetryWindow); make it short for this test
    expect((await fleet.run(['settings', 'set', 'TaskRetryWindowMinutes', '0'], agents[0]!)).exitCode).toBe(0)
    await waitFor(async () => (await fleet.call<{ TaskRetryWindowMinutes: number }>(agents[1]!, 'settings.get')).TaskRetryWindowMinutes === 0, { timeoutMs: 10_000 })
    const add = await fleet.run(['task', 'add', '--source', src, '--dest', `${emu.url}/sites/does-not-exist`], agents[0]!)
    expect(add.exitCode).toBe(0)
    const t = await completed(add.stdout.trim(), 120_000)
    expect(t.status).toBe('failed')
    const shown = JSON.parse((await fleet.run(['task', 'show', t.id, '--json'], agents[0]!)).stdout) as { failureReason: string }
    expect(shown.failureReason).toMatch(/does-not-exist|site/i)
    expect((await fleet.run(['settings', 'set', 'TaskRetryWindowMinutes', '30'], agents[0]!)).exitCode).toBe(0)
  }, 180_000)

  it('holds the whole fleet back while one agent is told to wait', async () => {
    emu.setFaults({ latencyMs: 150 })
    const src = fleet.tempDir('src')
    const ids: string[] = []
    for (let i = 0; i < 4; i++) {
      const share = path.join(src, `busy${i}`)
      fs.mkdirSync(share, { recursive: true })
      for (let f = 0; f < 250; f++) fs.writeFileSync(path.join(share, `f${f}.txt`), `busy ${i} ${f}\n`)
      const add = await fleet.run(['task', 'add', '--source', share, '--dest', emu.sites.dev, '--folder', `Busy${i}`], agents[0]!)
      ids.push(add.stdout.trim())
    }
    // both agents busy uploading
    await waitFor(async () => {
      const t = (await listTasks(fleet, agents[0]!)).filter((x) => ids.includes(x.id))
      return new Set(t.filter((x) => x.status === 'in-progress' || x.status === 'scanning').map((x) => x.agent)).size === 2
    }, { timeoutMs: 60_000, intervalMs: 200, message: 'both agents uploading' })
    await waitFor(() => emu.stats.uploads > 40, { timeoutMs: 60_000 })
    // exactly one throttle answer with a long Retry-After, to whichever agent asks next: the other agent
    // hears of it only through presence
    const throttledBefore = emu.stats.throttled
    emu.setFaults({ latencyMs: 150, throttleNext: { count: 1, retryAfterSec: 12 } })
    await waitFor(() => emu.stats.throttled > throttledBefore, { timeoutMs: 30_000, intervalMs: 5 })
    expect(emu.stats.throttled).toBe(throttledBefore + 1)
    // let the heartbeat carry the news, then count what the fleet sends meanwhile
    await new Promise((r) => setTimeout(r, 2500))
    const r0 = emu.stats.uploads
    await new Promise((r) => setTimeout(r, 5000))
    const held = emu.stats.uploads - r0
    // after the window the fleet goes on and finishes
    for (const id of ids) expect((await completed(id)).status).toBe('completed')
    expect(held).toBeLessThan(10)
  }, 240_000)
})
