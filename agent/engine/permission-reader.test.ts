/**
 * The PermissionReader on real POSIX ACLs (set with setfacl, read back with getfattr, named by getent),
 * on a CIFS mount's NTFS DACL (bytes built here, as `system.cifs_acl` holds them: no CIFS mount needed),
 * and the engine's permission step over them: compared with the parent, reported for file:// and in a
 * scan, and the warning past 5,000 items with their own permissions. Needs setfacl (acl) and getfattr (attr).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { needTools } from '../../test/support/system-tools.ts'
import { CIFS_ACL_XATTR, POSIX_ACL_XATTR, createPermissionReader, getfattr } from './permission-reader.ts'
import { createPermissionStep, UNIQUE_WARN_AT } from './permissions-step.ts'
import { buildSecurityDescriptor } from '../../protocol/ntfs-acl.ts'
import { encodePosixAcl } from '../../protocol/posix-acl.ts'
import { createFileDestination } from '../destinations/file.ts'

const tools = needTools(['setfacl', 'getfattr'], 'sets POSIX ACLs and reads them back')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-acl-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const mk = (name: string, acl?: string) => {
  const p = path.join(dir, name)
  fs.mkdirSync(p, { recursive: true })
  if (acl) execFileSync('setfacl', ['-m', acl, '--', p])
  return p
}

describe.skipIf(tools.skip)('PermissionReader on POSIX ACLs', () => {
  it('reads named users and groups through the mask, with their system names; an unknown id is named by number', async () => {
    const p = mk('hr', 'u:daemon:rwx,g:staff:rx,u:4242:rw,u:sys:w')
    const got = await createPermissionReader({ cifs: false }).read(p)
    expect(got.grants).toEqual([
      { principal: 'staff', group: true, role: 'Read' },
      { principal: 'daemon', group: false, role: 'Full Control' },
      { principal: 'uid 4242', group: false, role: 'Contribute' },
    ])
    expect(got.notCarried).toEqual(['special: sys (-w-)'])
  })

  it('a folder with only its mode bits has none; a path that looks like an option is a path; a missing one fails with the reason', async () => {
    const reader = createPermissionReader({ cifs: false })
    expect(await reader.read(mk('plain'))).toEqual({ grants: [], notCarried: [] })
    const dashed = mk('-n', 'u:bin:r')
    expect((await reader.read(dashed)).grants).toEqual([{ principal: 'bin', group: false, role: 'Read' }])
    expect(await getfattr(path.join(dir, 'plain'), POSIX_ACL_XATTR)).toBeNull()
    await expect(reader.read(path.join(dir, 'gone'))).rejects.toThrow(/No such file/)
  })
})

describe('PermissionReader on a cifsacl mount (system.cifs_acl)', () => {
  it('maps the DACL set on the folder itself; inherited and deny entries are not grants', async () => {
    const sid = 'S-1-5-21-1-2-3-1105'
    const sd = Buffer.from(buildSecurityDescriptor([
      { type: 'allow', mask: 0x1301bf, sid },
      { type: 'deny', mask: 0x1, sid: 'S-1-5-21-1-2-3-1106' },
      { type: 'allow', flags: 0x10, mask: 0x1f01ff, sid: 'S-1-5-18' },
    ]))
    const asked: string[] = []
    const reader = createPermissionReader({ cifs: true, xattr: async (_p, name) => (asked.push(name), sd) })
    const got = await reader.read('/mnt/share/hr')
    expect(asked).toEqual([CIFS_ACL_XATTR])
    expect(got).toEqual({ grants: [{ principal: sid, group: null, role: 'Contribute' }], notCarried: ['deny: S-1-5-21-1-2-3-1106 (0x1)'] })
  })
})

describe('the permission step', () => {
  const acl = (perm: number, uid = 1) => Buffer.from(encodePosixAcl([{ tag: 'userObj', perm: 7, id: null }, { tag: 'user', perm, id: uid }, { tag: 'groupObj', perm: 5, id: null }, { tag: 'mask', perm: 7, id: null }, { tag: 'other', perm: 5, id: null }]))
  const names = async (kind: 'user' | 'group', id: number) => `${kind}${id}`
  const dest = () => createFileDestination({ rootDir: dir, library: null, folder: null, fsync: false })

  it('equal to the parent: inherits, nothing said; different: recorded for file://, read-only in a scan', async () => {
    const xattr = async (p: string) => (p.endsWith('/own') ? acl(4) : p.endsWith('/same') ? acl(7) : null)
    const reader = createPermissionReader({ cifs: false, xattr, lookup: names })
    const parent = [{ principal: 'user1', group: false, role: 'Full Control' as const }]
    const step = createPermissionStep({ reader, destination: dest(), signal: new AbortController().signal, apply: true, warn: () => {} })
    expect(await step.item('/s/same', 'same', true, parent, false)).toEqual({ grants: parent, note: '', warning: false })
    const own = await step.item('/s/own', 'own', true, parent, true)
    expect(own).toEqual({ grants: [{ principal: 'user1', group: false, role: 'Read' }], note: 'own permissions, recorded and not applied (file:// destination): user1 (Read)', warning: false })
    const scan = createPermissionStep({ reader, destination: dest(), signal: new AbortController().signal, apply: false, warn: () => {} })
    expect((await scan.item('/s/own', 'own', true, parent, true)).note).toBe('own permissions at the source: user1 (Read)')
    // one that cannot be read inherits, and says why
    const broken = createPermissionStep({ reader: createPermissionReader({ cifs: false, xattr: async () => Buffer.from('0300000000', 'hex') }), destination: dest(), signal: new AbortController().signal, apply: true, warn: () => {} })
    expect(await broken.item('/s/x', 'x', true, parent, true)).toMatchObject({ grants: parent, warning: true, note: expect.stringContaining('permissions could not be read (not a POSIX ACL') })
  })

  it(`warns on every item with its own permissions past ${UNIQUE_WARN_AT} in a task, and logs it once`, async () => {
    const reader = createPermissionReader({ cifs: false, xattr: async () => acl(4), lookup: names })
    const logged: string[] = []
    const step = createPermissionStep({ reader, destination: dest(), signal: new AbortController().signal, apply: false, warn: (_o, m) => logged.push(m) })
    let warnings = 0
    for (let i = 0; i < UNIQUE_WARN_AT + 2; i++) if ((await step.item(`/s/${i}`, `${i}`, true, [], true)).warning) warnings++
    expect(warnings).toBe(2)
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatch(/more than 5000 items with their own permissions/)
  })
})
