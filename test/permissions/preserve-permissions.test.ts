/**
 * Issue 17, "Preserve file share permissions", with real agents: a share whose folders carry POSIX ACLs
 * (set with setfacl) migrates to the SharePoint emulator with `--preserve-permissions`, and exactly the
 * folders whose permissions differ from their parent's get their own — inheritance broken without copying,
 * the mapped roles assigned to the principals the agent's user-mapping file names — while unmapped
 * principals and entries that are not carried are warnings in the item report (counted in ItemSummary).
 * A rerun applies the changes made at the source since. To a file:// destination the mapped permissions
 * are only recorded. Needs setfacl (the acl package) and getfattr (attr).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { startSpEmulator, type SpEmulator } from '../fixtures/sp-emulator/index.ts'
import { needTools } from '../support/system-tools.ts'
import { listTasks } from '../leases/lease-harness.ts'

const tools = needTools(['setfacl', 'getfattr'], 'sets POSIX ACLs on the test share and reads them back')

// The share's principals: system users and a group every Debian has, so getent names them. The mapping
// file maps two of them; bin and sys stay unmapped.
const MAPPING = 'daemon,alice@contoso.com,FALSE\nstaff,eng@contoso.com,TRUE\n'
const LIB = '/sites/dev/Shared Documents/Perms'

let emu: SpEmulator
let fleet: Fleet
let agents: AgentProc[]
let work: string

const setfacl = (...args: string[]) => execFileSync('setfacl', args)

function readCsv(file: string): Record<string, string>[] {
  return parse(fs.readFileSync(file, 'utf8'), { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[]
}

/** share/ (no ACL of its own) with folders that have, or share their parent's, named entries. */
function makeShare(root: string): void {
  for (const d of ['public/sub', 'hr/reports', 'hr/secret', 'projects/drafts']) fs.mkdirSync(path.join(root, d), { recursive: true })
  for (const d of ['', 'public', 'public/sub', 'hr', 'hr/reports', 'hr/secret', 'projects', 'projects/drafts']) {
    fs.writeFileSync(path.join(root, d, 'note.txt'), `file in ${d || 'the root'}\n`)
  }
  // hr: its own ACL, and a default ACL its new children get, so reports/ has the same (inherits)
  setfacl('-m', 'u:daemon:rwx,g:staff:rx,u:bin:rw', '--', path.join(root, 'hr'))
  setfacl('-m', 'u:daemon:rwx,g:staff:rx,u:bin:rw', '--', path.join(root, 'hr/reports'))
  // secret: narrower (daemon read only) with an entry that maps to no role (write without read)
  setfacl('-m', 'u:daemon:rx,u:sys:w', '--', path.join(root, 'hr/secret'))
  setfacl('-m', 'g:staff:rwx', '--', path.join(root, 'projects'))
  setfacl('-m', 'g:staff:rwx', '--', path.join(root, 'projects/drafts'))
}

beforeAll(async () => {
  if (tools.skip) return
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-perms-'))
  emu = await startSpEmulator({ dir: path.join(work, 'emu') })
  fleet = await createFleet({ env: { NODE_EXTRA_CA_CERTS: emu.caFile } })
  const app = emu.issueAppCredentials()
  const pem = path.join(work, 'app.pem')
  fs.writeFileSync(pem, app.cert.pem)
  agents = []
  for (const name of ['pa', 'pb']) {
    const dir = fleet.tempDir(name)
    const set = await fleet.run(['auth', 'set', '--tenant', app.tenantId, '--client-id', app.clientId, '--cert', pem, '--authority', emu.authority], dir)
    expect(set.exitCode, set.stderr).toBe(0)
    fs.writeFileSync(path.join(dir, 'user-mapping.csv'), MAPPING)
    agents.push(await fleet.start(name, { dir, peers: agents.slice(0, 1) }))
  }
  await waitFor(async () => (await fleet.call<{ state: string }[]>(agents[0]!, 'agents.list')).filter((a) => a.state === 'online').length === 2, { timeoutMs: 30_000, message: 'both agents online' })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
  await emu?.stop()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

async function ended(id: string, round: number) {
  return waitFor(async () => {
    const t = (await listTasks(fleet, agents[1]!)).find((x) => x.id === id)
    return t && t.round === round && (t.status === 'completed' || t.status === 'failed') ? t : null
  }, { timeoutMs: 120_000, intervalMs: 300, message: `task ${id} round ${round} to end` })
}

async function report(id: string): Promise<{ items: Record<string, string>[]; summary: Record<string, string>[] }> {
  const out = fs.mkdtempSync(path.join(work, 'report-'))
  const r = await fleet.run(['report', '--out', out, '--task', id], agents[0]!)
  expect(r.exitCode, r.stderr).toBe(0)
  return { items: readCsv(path.join(out, id, 'ItemReport.csv')), summary: readCsv(path.join(out, id, 'ItemSummary.csv')) }
}

const row = (items: Record<string, string>[], round: number, source: string) => {
  const r = items.find((x) => x.Source === source && x['Incremental round'] === String(round))
  expect(r, `${source} round ${round} in the item report`).toBeDefined()
  return r!
}

describe.skipIf(tools.skip)('Preserve file share permissions (POSIX ACLs → SharePoint)', () => {
  it('gives exactly the folders with their own permissions unique, mapped roles; reports the unmapped; a rerun applies source changes', async () => {
    const share = path.join(fleet.tempDir('src'), 'share')
    makeShare(share)
    const add = await fleet.run(['task', 'add', '--source', share, '--dest', emu.sites.dev, '--library', 'Documents', '--folder', 'Perms', '--preserve-permissions'], agents[0]!)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    const t0 = await ended(id, 0)
    expect(t0.status).toBe('completed')
    expect(t0.counts.failed).toBe(0)
    expect(t0.counts.migrated).toBe(15) // 7 folders and 8 files

    expect(emu.security.uniqueItems()).toEqual([`${LIB}/hr`, `${LIB}/hr/secret`, `${LIB}/projects`])
    const roles = (rel: string) => emu.security.view(`${LIB}/${rel}`).assignments.map((a) => `${a.email}:${a.role}`)
    expect(roles('hr')).toEqual(['alice@contoso.com:Full Control', 'eng@contoso.com:Read'])
    expect(roles('hr/secret')).toEqual(['alice@contoso.com:Read'])
    expect(roles('projects')).toEqual(['eng@contoso.com:Full Control'])
    // what inherits shows its parent's
    expect(emu.security.view(`${LIB}/hr/reports`).unique).toBe(false)
    expect(roles('hr/reports')).toEqual(roles('hr'))
    expect(emu.security.view(`${LIB}/hr/note.txt`).unique).toBe(false)

    const r0 = await report(id)
    const hr = row(r0.items, 0, path.join(share, 'hr'))
    expect(hr.Status).toBe('Migrated')
    expect(hr.Message).toContain('unmapped principals, not granted: bin (Contribute)')
    expect(hr.Message).toContain('daemon → alice@contoso.com (Full Control)')
    expect(row(r0.items, 0, path.join(share, 'hr/secret')).Message).toContain('not carried: special: sys (-w-)')
    expect(row(r0.items, 0, path.join(share, 'hr/reports')).Message).not.toContain('permissions')
    expect(r0.summary.find((s) => s['Incremental round'] === '0')?.['Unmapped principals']).toBe('1')

    // at the source: reports/ narrows, projects/ loses its entries, staff gets full control on hr
    setfacl('-m', 'u:daemon:r', '--', path.join(share, 'hr/reports'))
    setfacl('-b', '--', path.join(share, 'projects'))
    setfacl('-b', '--', path.join(share, 'projects/drafts'))
    setfacl('-m', 'g:staff:rwx', '--', path.join(share, 'hr'))
    setfacl('-m', 'g:staff:rwx', '--', path.join(share, 'hr/reports'))
    expect((await fleet.run(['task', 'rerun', id], agents[1]!)).exitCode).toBe(0)
    const t1 = await ended(id, 1)
    expect(t1.status).toBe('completed')
    expect(emu.security.uniqueItems()).toEqual([`${LIB}/hr`, `${LIB}/hr/reports`, `${LIB}/hr/secret`])
    expect(roles('hr')).toEqual(['alice@contoso.com:Full Control', 'eng@contoso.com:Full Control'])
    expect(roles('hr/reports')).toEqual(['alice@contoso.com:Read', 'eng@contoso.com:Full Control'])
    const r1 = await report(id)
    expect(row(r1.items, 1, path.join(share, 'projects')).Message).toContain("inherits its parent's permissions again")
  }, 300_000)

  it('with --file-permissions a file whose permissions differ from its folder\'s gets its own, and inherits again once they are equal', async () => {
    const share = path.join(fleet.tempDir('src'), 'share3')
    fs.mkdirSync(path.join(share, 'docs'), { recursive: true })
    for (const n of ['a.txt', 'b.txt']) fs.writeFileSync(path.join(share, 'docs', n), `${n}\n`)
    setfacl('-m', 'u:daemon:r', '--', path.join(share, 'docs', 'a.txt'))
    const add = await fleet.run(['task', 'add', '--source', share, '--dest', emu.sites.dev, '--library', 'Documents', '--folder', 'FilePerms', '--preserve-permissions', '--file-permissions'], agents[0]!)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    expect((await ended(id, 0)).status).toBe('completed')
    const lib = '/sites/dev/Shared Documents/FilePerms'
    const mine = () => emu.security.uniqueItems().filter((u) => u.startsWith(`${lib}/`))
    expect(mine()).toEqual([`${lib}/docs/a.txt`])
    expect(emu.security.view(`${lib}/docs/a.txt`).assignments).toEqual([{ login: 'i:0#.f|membership|alice@contoso.com', email: 'alice@contoso.com', role: 'Read' }])
    // the file's content does not change, its permissions do: the rerun finds it Unchanged and resets it
    setfacl('-b', '--', path.join(share, 'docs', 'a.txt'))
    expect((await fleet.run(['task', 'rerun', id], agents[1]!)).exitCode).toBe(0)
    expect((await ended(id, 1)).status).toBe('completed')
    expect(mine()).toEqual([])
    const a = row((await report(id)).items, 1, path.join(share, 'docs', 'a.txt'))
    expect(a.Status).toBe('Unchanged')
    expect(a.Message).toContain("inherits its parent's permissions again")
  }, 180_000)

  it('to a file:// destination records the mapped permissions in the item report and changes nothing on disk', async () => {
    const share = path.join(fleet.tempDir('src'), 'share2')
    makeShare(share)
    const dest = fleet.tempDir('dest')
    const add = await fleet.run(['task', 'add', '--source', share, '--dest', `file://${dest}`, '--preserve-permissions'], agents[0]!)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    expect((await ended(id, 0)).status).toBe('completed')
    const { items } = await report(id)
    expect(row(items, 0, path.join(share, 'hr')).Message).toContain('own permissions, recorded and not applied (file:// destination): group staff (Read), bin (Contribute), daemon (Full Control)')
    expect(row(items, 0, path.join(share, 'public')).Message).not.toContain('permissions')
    const landed = path.join(dest, 'hr')
    expect(fs.statSync(landed).isDirectory()).toBe(true)
    // no ACL on the copy: getfattr finds no attribute
    expect(() => execFileSync('getfattr', ['--only-values', '-n', 'system.posix_acl_access', '--', landed], { stdio: 'pipe' })).toThrow(/No such attribute/)
  }, 180_000)
})
