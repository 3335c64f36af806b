/**
 * Issue 17 with agents as real processes against the SharePoint emulator: an agent signed in with a
 * device code (no app credentials) claims SharePoint tasks; the fleet's user map (`mmesh usermap …`) is
 * imported all or nothing on one agent, read on another, used for authors, and checked against a task's
 * scanned owners; an agent's own user-mapping.csv shows in `mmesh agents`; a destination given as a
 * user's e-mail lands in their OneDrive, and fails saying so when it is not provisioned or the user is
 * unknown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { createFleet, MMESH, REPO, TEST_ENV, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { startSpEmulator, type SpEmulator } from '../fixtures/sp-emulator/index.ts'
import { listTasks, makeShare } from '../leases/lease-harness.ts'

let emu: SpEmulator
let fleet: Fleet
let appAgent: AgentProc
let dcAgent: AgentProc
let emuDir: string

const DC_USER = 'user@contoso.com'

beforeAll(async () => {
  emuDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-usermap-'))
  emu = await startSpEmulator({ dir: path.join(emuDir, 'emu') })
  fleet = await createFleet({ env: { NODE_EXTRA_CA_CERTS: emu.caFile } })
  const app = emu.issueAppCredentials()
  const pem = path.join(emuDir, 'app.pem')
  fs.writeFileSync(pem, app.cert.pem)
  const appDir = fleet.tempDir('um-app')
  const set = await fleet.run(['auth', 'set', '--tenant', app.tenantId, '--client-id', app.clientId, '--cert', pem, '--authority', emu.authority], appDir)
  expect(set.exitCode, set.stderr).toBe(0)
  appAgent = await fleet.start('um-app', { dir: appDir })

  // The second agent has a device-code sign-in only (mmesh auth login), and a group of its own, so only it can run the tasks of that group.
  const clientId = 'cccccccc-0000-0000-0000-00000000000c'
  emu.registerApp({ clientId, tenantId: emu.tenantId, certs: [], secrets: [], publicClient: true })
  const dcDir = fleet.tempDir('um-dc')
  const login = execa(process.execPath, [MMESH, 'auth', 'login', '--data', dcDir, '--tenant', emu.tenantId, '--client-id', clientId, '--authority', emu.authority, '--timeout', '60'], {
    reject: false, timeout: 60_000, cwd: REPO, env: { ...TEST_ENV, NODE_EXTRA_CA_CERTS: emu.caFile },
  })
  let approved = false
  login.stderr!.on('data', (b: Buffer) => {
    const code = /enter the code (\w+)/.exec(b.toString())?.[1]
    if (code && !approved) approved = emu.approveDeviceCode(code, DC_USER)
  })
  const r = await login
  expect(r.exitCode, String(r.stderr)).toBe(0)
  expect(fs.existsSync(path.join(dcDir, 'auth.json'))).toBe(false)
  dcAgent = await fleet.start('um-dc', { dir: dcDir, peers: [appAgent], args: ['--group', 'Delegated'] })
  await waitFor(async () => (await fleet.call<{ state: string }[]>(appAgent, 'agents.list')).filter((a) => a.state === 'online').length === 2, { timeoutMs: 30_000 })
}, 180_000)

afterAll(async () => {
  await fleet?.cleanup()
  await emu?.stop()
  fs.rmSync(emuDir, { recursive: true, force: true })
})

async function ended(id: string, timeoutMs = 120_000) {
  return waitFor(async () => {
    const t = (await listTasks(fleet, appAgent)).find((x) => x.id === id)
    return t && (t.status === 'completed' || t.status === 'failed') ? t : null
  }, { timeoutMs, intervalMs: 300, message: `task ${id} to end` })
}

async function show(id: string): Promise<{ agent: string | null; failureReason: string | null; status: string; destination: { url: string } }> {
  return fleet.call(appAgent, 'task.show', { id })
}

const sharesRoot = () => fleet.tempDir('src')

describe('agents with device-code credentials', () => {
  it('claim and run SharePoint tasks: the task lands, written as the signed-in user', async () => {
    const src = makeShare(sharesRoot(), 'dc', 4)
    const add = await fleet.run(['task', 'add', '--source', src, '--dest', emu.sites.dev, '--folder', 'DeviceCode', '--group', 'Delegated'], appAgent)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    const t = await ended(id)
    expect(t.status).toBe('completed')
    expect((await show(id)).agent).toBe(dcAgent.peerId)
    expect(t.counts.migrated).toBe(5) // 4 files and the folder "sub"
    const bytes = await emu.readFile('/sites/dev/Shared Documents/DeviceCode/f0.txt')
    expect(bytes?.toString()).toBe(fs.readFileSync(path.join(src, 'f0.txt'), 'utf8'))
    expect(emu.meta('/sites/dev/Shared Documents/DeviceCode/f0.txt')!.author).toBe(`i:0#.f|membership|${DC_USER}`)
  }, 180_000)
})

describe('the fleet user map', () => {
  it('imports all or nothing, naming each bad row by its line; any agent lists and exports it', async () => {
    const dir = fleet.tempDir('maps')
    const bad = path.join(dir, 'bad.csv')
    fs.writeFileSync(bad, 'root,alice@contoso.com,FALSE\nnobody,,FALSE\nCONTOSO\\x,bob@contoso.com,MAYBE\nROOT,bob@contoso.com,FALSE\nCONTOSO\\y,not-an-upn,FALSE\n')
    const r = await fleet.run(['usermap', 'import', bad], appAgent)
    expect(r.exitCode).toBe(1)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[0]).toMatch(/bad\.csv:2: column B .* is empty/)
    expect(lines[1]).toMatch(/bad\.csv:3: column C must be TRUE .* not "MAYBE"/)
    expect(lines[2]).toMatch(/bad\.csv:4: "ROOT" is mapped on line 1 already/)
    expect(lines[3]).toMatch(/bad\.csv:5: column B "not-an-upn" is not a user principal name/)
    expect(JSON.parse((await fleet.run(['usermap', 'list', '--json'], appAgent)).stdout)).toEqual([])

    const good = path.join(dir, 'map.csv')
    fs.writeFileSync(good, '\uFEFFroot,alice@contoso.com,FALSE\r\nCONTOSO\\Finance,finance@contoso.com,TRUE\r\n')
    const ok = await fleet.run(['usermap', 'import', good], appAgent)
    expect(ok.exitCode, ok.stderr).toBe(0)
    expect(ok.stdout.trim()).toBe('2 users mapped')
    // replicated: the other agent lists the same map
    const want = [{ source: 'root', upn: 'alice@contoso.com', group: false }, { source: 'CONTOSO\\Finance', upn: 'finance@contoso.com', group: true }]
    await waitFor(async () => JSON.stringify(JSON.parse((await fleet.run(['usermap', 'list', '--json'], dcAgent)).stdout)) === JSON.stringify(want), { timeoutMs: 20_000, message: 'the map on the other agent' })
    const table = await fleet.run(['usermap', 'list'], dcAgent)
    expect(table.stdout).toMatch(/^SOURCE LOGIN +UPN +KIND\nroot +alice@contoso\.com +user\nCONTOSO\\Finance +finance@contoso\.com +group$/)
    const out = path.join(dir, 'exported.csv')
    const ex = await fleet.run(['usermap', 'export', out], dcAgent)
    expect(ex.exitCode, ex.stderr).toBe(0)
    expect(fs.readFileSync(out, 'utf8')).toBe('root,alice@contoso.com,FALSE\r\nCONTOSO\\Finance,finance@contoso.com,TRUE\r\n')
  }, 120_000)

  it('usermap check names the scanned owners the map does not resolve; a migration maps authors by the fleet map', async () => {
    const src = makeShare(sharesRoot(), 'owners', 4)
    // the test's files belong to root; one to nobody (uid 65534)
    fs.chownSync(path.join(src, 'f0.txt'), 65534, 65534)
    const add = await fleet.run(['task', 'add', '--source', src, '--dest', emu.sites.dev, '--folder', 'Owners', '--scan-only'], appAgent)
    expect(add.exitCode, add.stderr).toBe(0)
    const scanId = add.stdout.trim()

    expect((await ended(scanId)).status).toBe('completed')

    const check = await waitFor(async () => {
      const c = await fleet.run(['usermap', 'check', scanId], dcAgent)
      return c.exitCode === 1 && c.stdout !== '' ? c : null
    }, { timeoutMs: 20_000, message: 'the scan outcome on the other agent' })
    expect(check.stdout).toBe('nobody\towner\tnot in the user map')
    expect(check.stderr).toMatch(/1 of 2 source owners of task .* do not resolve/)
    // scanned without PreserveUserPermissionsForFileShare: said, not taken for a share without entries
    expect(check.stderr).toContain('permission entries were not read by this scan')
    const json = JSON.parse((await fleet.run(['usermap', 'check', scanId, '--json'], dcAgent)).stdout) as { owners: number; unresolved: unknown[] }
    expect(json).toMatchObject({ owners: 2, unresolved: [{ login: 'nobody', reason: 'not in the user map' }] })

    const full = path.join(fleet.tempDir('maps'), 'full.csv')
    fs.writeFileSync(full, 'root,alice@contoso.com,FALSE\nnobody,bob@contoso.com,FALSE\n')
    expect((await fleet.run(['usermap', 'import', full], dcAgent)).exitCode).toBe(0)
    const clean = await waitFor(async () => {
      const c = await fleet.run(['usermap', 'check', scanId], appAgent)
      return c.exitCode === 0 ? c : null
    }, { timeoutMs: 20_000, message: 'the new map to resolve every owner' })
    expect(clean.stdout).toBe('')
    expect(clean.stderr).toMatch(/all 2 source owners of task .* resolve/)

    // the migration of the scan: authors from the fleet's map, no agent has a file of its own
    const mig = await fleet.run(['task', 'migrate', scanId], appAgent)
    expect(mig.exitCode, mig.stderr).toBe(0)
    expect((await ended(mig.stdout.trim())).status).toBe('completed')
    expect(emu.meta('/sites/dev/Shared Documents/Owners/f0.txt')!.author).toBe('i:0#.f|membership|bob@contoso.com')
    expect(emu.meta('/sites/dev/Shared Documents/Owners/sub/f1.txt')!.author).toBe('i:0#.f|membership|alice@contoso.com')
  }, 240_000)

  it("mmesh agents shows an agent whose own user-mapping.csv overrides the fleet's map", async () => {
    const file = path.join(appAgent.dir, 'user-mapping.csv')
    fs.writeFileSync(file, 'root,bob@contoso.com,FALSE\n')
    try {
      // the agent looks at its file every 10 s; the heartbeat carries the row count to every node
      const listed = await waitFor(async () => {
        const r = await fleet.run(['agents'], dcAgent)
        return /um-app: its own user-mapping\.csv \(1 row\) overrides the fleet's user map/.test(r.stdout) ? r : null
      }, { timeoutMs: 40_000, intervalMs: 1000, message: 'the override in mmesh agents' })
      expect(listed.stdout).not.toMatch(/um-dc: its own/)
      const rows = JSON.parse((await fleet.run(['agents', '--json'], dcAgent)).stdout) as { name: string; userMapOverride?: number }[]
      expect(rows.find((a) => a.name === 'um-app')?.userMapOverride).toBe(1)
      expect(rows.find((a) => a.name === 'um-dc')?.userMapOverride).toBeUndefined()
    } finally {
      fs.rmSync(file, { force: true })
    }
  }, 90_000)
})

describe('OneDrive by e-mail', () => {
  it("lands in the user's OneDrive; not provisioned and unknown users fail saying so", async () => {
    const src = makeShare(sharesRoot(), 'mail', 2)
    const none = await fleet.run(['task', 'add', '--source', src, '--dest', DC_USER], appAgent)
    expect(none.exitCode).toBe(1)
    expect(none.stderr.trim()).toMatch(/^mmesh: dest: user@contoso\.com is an e-mail address, .*mmesh settings set SharePointRootUrl https:\/\/TENANT\.sharepoint\.com first$/)

    expect((await fleet.run(['settings', 'set', 'SharePointRootUrl', `${emu.url}/sites/x`], appAgent)).exitCode).toBe(1)
    expect((await fleet.run(['settings', 'set', 'SharePointRootUrl', emu.url], appAgent)).exitCode).toBe(0)
    expect((await fleet.run(['settings', 'set', 'TaskRetryWindowMinutes', '0'], appAgent)).exitCode).toBe(0)
    await waitFor(async () => (await fleet.call<{ SharePointRootUrl: string | null }>(dcAgent, 'settings.get')).SharePointRootUrl === emu.url, { timeoutMs: 10_000 })
    try {
      // Migration Manager's bulk CSV, column D a user's e-mail (library Documents)
      const csv = path.join(fleet.tempDir('import'), 'onedrive.csv')
      const share = (n: string) => makeShare(sharesRoot(), n, 2)
      fs.writeFileSync(csv, [`${src},,,User@Contoso.com,Documents,Mail`, `${share('alice')},,,alice@contoso.com,Documents,`, `${share('ghost')},,,ghost@contoso.com,Documents,`].join('\n') + '\n')
      const imp = await fleet.run(['task', 'import', csv], appAgent)
      expect(imp.exitCode, imp.stderr).toBe(0)
      const [userId, aliceId, ghostId] = imp.stdout.trim().split('\n')
      expect((await show(userId!)).destination.url).toBe('user@contoso.com')

      expect((await ended(userId!)).status).toBe('completed')
      expect((await emu.readFile('/personal/user_contoso_com/Documents/Mail/f0.txt'))?.toString()).toBe(fs.readFileSync(path.join(src, 'f0.txt'), 'utf8'))

      expect((await ended(aliceId!)).status).toBe('failed')
      expect((await show(aliceId!)).failureReason).toMatch(/^OneDrive not provisioned for alice@contoso\.com: pre-provision it/)
      expect((await ended(ghostId!)).status).toBe('failed')
      expect((await show(ghostId!)).failureReason).toMatch(/^no user ghost@contoso\.com in the tenant of https:\/\/127\.0\.0\.1:\d+/)

      // once provisioned, a rerun lands in it
      emu.addUser('alice@contoso.com', { oneDrive: true })
      expect((await fleet.run(['task', 'rerun', aliceId!], appAgent)).exitCode).toBe(0)
      await waitFor(async () => {
        const t = (await listTasks(fleet, appAgent)).find((x) => x.id === aliceId)
        return t?.round === 1 && t.status === 'completed'
      }, { timeoutMs: 120_000, intervalMs: 300, message: "alice's rerun to complete" })
      expect(await emu.readFile('/personal/alice_contoso_com/Documents/f0.txt')).not.toBeNull()
    } finally {
      expect((await fleet.run(['settings', 'set', 'TaskRetryWindowMinutes', '30'], appAgent)).exitCode).toBe(0)
    }
  }, 300_000)
})
