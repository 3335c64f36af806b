/**
 * The permission formats on bytes built here (a POSIX ACL attribute, a self-relative NTFS security
 * descriptor) and the mapping to SharePoint roles: r/rw/rwx → Read/Contribute/Full Control, Read/Write/Full
 * control → Read/Contribute/Full Control, deny and special entries not carried.
 */
import { describe, expect, it } from 'vitest'
import { decodePosixAcl, encodePosixAcl } from './posix-acl.ts'
import { ACCESS, ACE_INHERITED, buildSecurityDescriptor, parseSecurityDescriptor } from './ntfs-acl.ts'
import { fromNtfsDacl, fromPosixAcl, sameGrants, describeGrants, unmappedCount, PrincipalTally, UNMAPPED_MARKER } from './permissions.ts'

const names = (kind: 'user' | 'group', id: number) => ({ 'user:1001': 'alice', 'user:1002': 'bob', 'group:2001': 'staff' } as Record<string, string>)[`${kind}:${id}`] ?? `${kind} ${id}`

describe('POSIX ACL attribute', () => {
  it('decodes the bytes setfacl -m u:nobody:rx,g:users:rwx writes (copied from getfattr --only-values)', () => {
    const bytes = Buffer.from('02000000010007 00ffffffff0200 0500feff0000 04000500ffffffff 08000700 64000000 10000700ffffffff 20000500ffffffff'.replace(/ /g, ''), 'hex')
    const acl = decodePosixAcl(bytes)
    expect(acl.mask).toBe(7)
    expect(acl.entries.filter((e) => e.tag === 'user' || e.tag === 'group')).toEqual([
      { tag: 'user', perm: 5, id: 65534 },
      { tag: 'group', perm: 7, id: 100 },
    ])
  })

  it('round-trips and refuses what is not an ACL', () => {
    const entries = [
      { tag: 'userObj', perm: 7, id: null },
      { tag: 'user', perm: 6, id: 1001 },
      { tag: 'groupObj', perm: 5, id: null },
      { tag: 'mask', perm: 7, id: null },
      { tag: 'other', perm: 0, id: null },
    ] as const
    expect(decodePosixAcl(encodePosixAcl([...entries])).entries).toEqual(entries)
    expect(() => decodePosixAcl(new Uint8Array(5))).toThrow(/4 \+ 8/)
    expect(() => decodePosixAcl(Buffer.from('03000000', 'hex'))).toThrow(/version 3/)
    expect(() => decodePosixAcl(Buffer.from('020000004000070001000000', 'hex'))).toThrow(/unknown entry tag 0x40/)
  })

  it('maps named entries through the mask: r → Read, rw → Contribute, rwx → Full Control; -w- is not carried', () => {
    const acl = decodePosixAcl(encodePosixAcl([
      { tag: 'userObj', perm: 7, id: null },
      { tag: 'user', perm: 7, id: 1001 },
      { tag: 'user', perm: 2, id: 1002 },
      { tag: 'user', perm: 5, id: 1003 },
      { tag: 'groupObj', perm: 5, id: null },
      { tag: 'group', perm: 7, id: 2001 },
      { tag: 'mask', perm: 6, id: null },
      { tag: 'other', perm: 4, id: null },
    ]))
    const p = fromPosixAcl(acl, names)
    // the mask rw- cuts alice's and staff's rwx to rw
    expect(p.grants).toEqual([
      { principal: 'staff', group: true, role: 'Contribute' },
      { principal: 'alice', group: false, role: 'Contribute' },
      { principal: 'user 1003', group: false, role: 'Read' },
    ])
    expect(p.notCarried).toEqual(['special: bob (-w-)'])
    expect(describeGrants(p.grants)).toBe('group staff (Contribute), alice (Contribute), user 1003 (Read)')
  })

  it('a folder with only owner, group and other has no explicit permissions', () => {
    const p = fromPosixAcl(decodePosixAcl(encodePosixAcl([{ tag: 'userObj', perm: 7, id: null }, { tag: 'groupObj', perm: 5, id: null }, { tag: 'other', perm: 5, id: null }])), names)
    expect(p).toEqual({ grants: [], notCarried: [] })
  })
})

describe('NTFS DACL (system.cifs_acl)', () => {
  const alice = 'S-1-5-21-1004336348-1177238915-682003330-1105'
  const staff = 'S-1-5-21-1004336348-1177238915-682003330-2201'
  const bob = 'S-1-5-21-1004336348-1177238915-682003330-1106'

  it('parses SIDs, types, flags and masks of a self-relative descriptor', () => {
    const sd = buildSecurityDescriptor([
      { type: 'allow', mask: ACCESS.fullFile, sid: alice },
      { type: 'deny', mask: 0x2, sid: bob },
      { type: 'allow', flags: ACE_INHERITED, mask: 0x1200a9, sid: 'S-1-5-32-545' },
    ])
    const dacl = parseSecurityDescriptor(sd)
    expect(dacl.aces).toEqual([
      { type: 'allow', typeCode: 0, flags: 0, mask: 0x1f01ff, sid: alice },
      { type: 'deny', typeCode: 1, flags: 0, mask: 2, sid: bob },
      { type: 'allow', typeCode: 0, flags: 0x10, mask: 0x1200a9, sid: 'S-1-5-32-545' },
    ])
  })

  it('maps Read → Read, Modify/Write → Contribute, Full control → Full Control; deny and inherited entries are not carried', () => {
    const p = fromNtfsDacl(parseSecurityDescriptor(buildSecurityDescriptor([
      { type: 'allow', mask: 0x1200a9, sid: alice }, // Read & execute
      { type: 'allow', mask: 0x1301bf, sid: staff }, // Modify
      { type: 'allow', mask: ACCESS.genericAll, sid: 'S-1-5-32-544' },
      { type: 'deny', mask: 0x1f01ff, sid: bob },
      { type: 'allow', mask: 0x100000, sid: bob }, // SYNCHRONIZE alone: special
      { type: 'allow', flags: ACE_INHERITED, mask: 0x1f01ff, sid: 'S-1-5-18' },
    ])))
    expect(p.grants).toEqual([
      { principal: 'S-1-5-21-1004336348-1177238915-682003330-1105', group: null, role: 'Read' },
      { principal: 'S-1-5-21-1004336348-1177238915-682003330-2201', group: null, role: 'Contribute' },
      { principal: 'S-1-5-32-544', group: null, role: 'Full Control' },
    ])
    expect(p.notCarried).toEqual([`deny: ${bob} (0x1f01ff)`, `special: ${bob} (0x100000)`])
  })

  it('a descriptor without a DACL has nothing explicit; a truncated one is refused', () => {
    const sd = buildSecurityDescriptor([])
    sd[2] = 0 // control: no DACL present
    expect(parseSecurityDescriptor(sd).aces).toBeNull()
    const full = buildSecurityDescriptor([{ type: 'allow', mask: 1, sid: alice }])
    expect(() => parseSecurityDescriptor(full.subarray(0, full.length - 6))).toThrow(/past the end|runs past/)
    expect(() => parseSecurityDescriptor(new Uint8Array(8))).toThrow(/not a security descriptor/)
  })
})

describe('comparing and counting', () => {
  it('equal grants (any case of the name) keep inheriting; a changed role does not', () => {
    const a = [{ principal: 'alice', group: false, role: 'Read' as const }]
    expect(sameGrants(a, [{ principal: 'ALICE', group: false, role: 'Read' }])).toBe(true)
    expect(sameGrants(a, [{ principal: 'alice', group: false, role: 'Contribute' }])).toBe(false)
    expect(sameGrants(a, [])).toBe(false)
  })

  it('counts the principals an item report names as unmapped', () => {
    expect(unmappedCount(`unique permissions: alice (Read); ${UNMAPPED_MARKER}bob (Contribute), group eng, west (Full Control); not carried: deny: x`)).toBe(2)
    expect(unmappedCount('unique permissions: alice (Read)')).toBe(0)
  })
})

describe('the principals a scan met (for the outcome and usermap check)', () => {
  it('keeps each principal once (case-insensitive, a user and a group of one name apart), sorted', () => {
    const t = new PrincipalTally(10)
    t.add([{ principal: 'staff', group: true, role: 'Read' }, { principal: 'bob', group: false, role: 'Read' }])
    t.add([{ principal: 'Bob', group: false, role: 'Full Control' }, { principal: 'staff', group: false, role: 'Read' }, { principal: 'S-1-5-32-544', group: null, role: 'Read' }])
    expect(t.list()).toEqual([
      { login: 'S-1-5-32-544', group: null },
      { login: 'bob', group: false },
      { login: 'staff', group: false },
      { login: 'staff', group: true },
    ])
    expect(t.truncated).toBe(false)
  })

  it('keeps at most its bound and says it met more; a name too long for the record is left out', () => {
    const t = new PrincipalTally(2)
    t.add(['c', 'a', 'b'].map((p) => ({ principal: p, group: false, role: 'Read' as const })))
    t.add([{ principal: 'x'.repeat(257), group: false, role: 'Read' }])
    expect(t.list()).toEqual([{ login: 'a', group: false }, { login: 'c', group: false }])
    expect(t.truncated).toBe(true)
    const u = new PrincipalTally(2)
    u.add([{ principal: 'a', group: false, role: 'Read' }, { principal: 'A', group: false, role: 'Read' }])
    expect(u.truncated).toBe(false)
  })
})
