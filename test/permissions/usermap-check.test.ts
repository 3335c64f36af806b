/**
 * Issue 17, `mmesh usermap check ID` over owners AND permission entries, with real agents: a scan-only
 * task with PreserveUserPermissionsForFileShare reads the share's POSIX ACLs (set with setfacl) and its
 * round's outcome names the distinct principals of the entries it carried; `usermap check` on another
 * agent names exactly the owners and permission principals the fleet's user map does not resolve (a group
 * only through a group row), and a scan without the setting says its permission entries were not read.
 * Needs setfacl (the acl package) and getfattr (attr); chowns a file to nobody, so runs as root.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { needTools } from '../support/system-tools.ts'
import { addTask, listTasks } from '../leases/lease-harness.ts'

const tools = needTools(['setfacl', 'getfattr'], 'sets POSIX ACLs on the test share')
const asRoot = process.getuid?.() === 0

// The share's principals are system users and groups every Debian has, so getent names them. The map
// resolves root (the owner of what the test writes), the user daemon and the group staff; not nobody (an
// owner), the user bin, nor the group daemon (only a user row names daemon).
const MAP = 'root,root@contoso.com,FALSE\ndaemon,alice@contoso.com,FALSE\nstaff,eng@contoso.com,TRUE\n'

let fleet: Fleet
let a: AgentProc
let b: AgentProc

beforeAll(async () => {
  if (tools.skip || !asRoot) return
  fleet = await createFleet()
  a = await fleet.start('uca')
  b = await fleet.start('ucb', { peers: [a] })
  const map = path.join(fleet.tempDir('maps'), 'map.csv')
  fs.writeFileSync(map, MAP)
  const imp = await fleet.run(['usermap', 'import', map], a)
  expect(imp.exitCode, imp.stderr).toBe(0)
  await waitFor(async () => {
    const l = await fleet.run(['usermap', 'list', '--json'], b)
    return l.exitCode === 0 && (JSON.parse(l.stdout) as unknown[]).length === 3
  }, { timeoutMs: 30_000, message: 'the map on the other agent' })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

function makeShare(root: string): string {
  const share = path.join(root, 'share')
  for (const d of ['hr/secret', 'projects']) fs.mkdirSync(path.join(share, d), { recursive: true })
  for (const d of ['', 'hr', 'hr/secret', 'projects']) fs.writeFileSync(path.join(share, d, 'note.txt'), `in ${d || 'the root'}\n`)
  fs.chownSync(path.join(share, 'projects', 'note.txt'), 65534, 65534)
  const setfacl = (spec: string, rel: string) => execFileSync('setfacl', ['-m', spec, '--', path.join(share, rel)])
  setfacl('u:daemon:rwx,g:staff:rx,u:bin:rw', 'hr')
  // sys's write-only entry maps to no role: not carried, so not a principal to map
  setfacl('u:daemon:rx,u:sys:w', 'hr/secret')
  setfacl('g:staff:rwx,g:daemon:r', 'projects')
  return share
}

async function scanned(id: string): Promise<void> {
  await waitFor(async () => {
    const t = (await listTasks(fleet, b)).find((x) => x.id === id)
    return t?.status === 'completed' ? t : null
  }, { timeoutMs: 60_000, intervalMs: 300, message: `task ${id} scan to complete` })
}

/** `usermap check` on agent b once the scan's outcome reached it (before, it has no finished scan: empty stdout). */
async function check(id: string, extra: string[] = []) {
  return waitFor(async () => {
    const c = await fleet.run(['usermap', 'check', id, ...extra], b)
    return c.stdout !== '' ? c : null
  }, { timeoutMs: 20_000, message: `the scan outcome of ${id} on the other agent` })
}

describe.skipIf(tools.skip || !asRoot)('usermap check: owners and permission principals', () => {
  it('names exactly the unresolved owner and permission principals of a scan that read permissions; without the setting says they were not read', async () => {
    const share = makeShare(fleet.tempDir('src'))

    const plainId = await addTask(fleet, a, share, fleet.tempDir('dst-plain'), ['--scan-only'])
    await scanned(plainId)
    const plain = await check(plainId)
    expect(plain.exitCode).toBe(1)
    expect(plain.stdout.trim()).toBe('nobody\towner\tnot in the user map')
    expect(plain.stderr).toContain(`1 of 2 source owners of task ${plainId} (round 0 scan) do not resolve`)
    expect(plain.stderr).toContain(`permission entries were not read by this scan (PreserveUserPermissionsForFileShare off): to check them too, mmesh task edit ${plainId} --preserve-permissions`)
    expect(JSON.parse((await check(plainId, ['--json'])).stdout)).toMatchObject({ permissionsRead: false, principals: 0, owners: 2 })

    const permId = await addTask(fleet, a, share, fleet.tempDir('dst-perms'), ['--scan-only', '--preserve-permissions'])
    await scanned(permId)
    const perm = await check(permId)
    expect(perm.exitCode).toBe(1)
    expect(perm.stdout.trim().split('\n')).toEqual([
      'nobody\towner\tnot in the user map',
      'bin\tpermission user\tnot in the user map',
      'daemon\tpermission group\tmapped to a user',
    ])
    expect(perm.stderr).toContain(`3 of the 6 source principals of task ${permId} (round 0 scan: 2 owners, 4 permission principals) do not resolve`)
    expect(perm.stderr).not.toContain('were not read')
    const json = JSON.parse((await check(permId, ['--json'])).stdout) as Record<string, unknown>
    expect(json).toMatchObject({ taskId: permId, permissionsRead: true, owners: 2, principals: 4, principalsTruncated: false, mapRows: 3 })
    expect(json.unresolved).toEqual([
      { login: 'nobody', as: 'owner', group: false, reason: 'not in the user map' },
      { login: 'bin', as: 'permission', group: false, reason: 'not in the user map' },
      { login: 'daemon', as: 'permission', group: true, reason: 'mapped to a user' },
    ])

    // a new map that adds nobody and bin: the same scan is checked against it, no rescan
    const more = path.join(fleet.tempDir('maps'), 'more.csv')
    fs.writeFileSync(more, `${MAP}nobody,bob@contoso.com,FALSE\nbin,bin@contoso.com,FALSE\n`)
    expect((await fleet.run(['usermap', 'import', more], b)).exitCode).toBe(0)
    const left = await waitFor(async () => {
      const c = await fleet.run(['usermap', 'check', permId], b)
      return c.stdout.trim().split('\n').length === 1 ? c : null
    }, { timeoutMs: 20_000, message: 'the new map in force' })
    expect(left.exitCode).toBe(1)
    expect(left.stdout.trim()).toBe('daemon\tpermission group\tmapped to a user')
  }, 180_000)
})
