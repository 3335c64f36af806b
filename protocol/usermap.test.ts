import { describe, expect, it } from 'vitest'
import type { CommandRecord } from './records.ts'
import { foldUserMap, parseUserMapCsv, principalRole, toUserMapValue, unresolvedPrincipals, unresolvedReason, userLookup, userMapCsvRecords } from './usermap.ts'

const A = '12D3KooWAgentAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const B = '12D3KooWAgentBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
const cmd = (wall: number, by: string, value: unknown): CommandRecord => ({
  v: 1, kind: 'usermap.set', target: 'usermap', hlc: `${String(wall).padStart(15, '0')}-000000-${by}`, by, value,
})

describe("Migration Manager's user-mapping CSV", () => {
  it('reads rows without a header, a BOM and CRLF line ends, blank lines skipped', () => {
    const r = parseUserMapCsv('m.csv', '\uFEFFCONTOSO\\jdoe,jdoe@contoso.com,FALSE\r\n\r\nS-1-5-21-1-2-3-1001, ann@contoso.com ,false\r\nCONTOSO\\Finance,Finance Team,TRUE\r\n')
    expect(r).toEqual({ ok: true, rows: [
      { source: 'CONTOSO\\jdoe', upn: 'jdoe@contoso.com', group: false },
      { source: 'S-1-5-21-1-2-3-1001', upn: 'ann@contoso.com', group: false },
      { source: 'CONTOSO\\Finance', upn: 'Finance Team', group: true },
    ] })
  })

  it('names every bad row by its line, and takes none of the file (an empty column C is a user)', () => {
    const r = parseUserMapCsv('m.csv', 'a,a@contoso.com,FALSE\n,b@contoso.com,FALSE\nc,c@contoso.com\nd,d@contoso.com,FALSE,extra\nA,x@contoso.com,FALSE\ne,e@contoso.com,yes\n')
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors[0]).toMatch(/^m\.csv:2: column A .* is empty/)
    expect(r.errors[1]).toMatch(/^m\.csv:4: 4 columns/)
    expect(r.errors[2]).toMatch(/^m\.csv:5: "A" is mapped on line 1 already/)
    expect(r.errors[3]).toMatch(/^m\.csv:6: column C must be TRUE .* not "yes"/)
    expect(r.errors).toHaveLength(4)
  })

  it('refuses an unreadable CSV and an empty file in one line each', () => {
    expect(parseUserMapCsv('m.csv', 'a,"b@c.com,FALSE\n')).toMatchObject({ ok: false, errors: [expect.stringMatching(/^m\.csv:\d+: not a readable CSV/)] })
    expect(parseUserMapCsv('m.csv', '\n\n')).toMatchObject({ ok: false, errors: [expect.stringMatching(/^m\.csv: no rows/)] })
  })

  it('writes back what it reads', () => {
    const rows = [{ source: 'CONTOSO\\a,b', upn: 'a@contoso.com', group: false }]
    expect(userMapCsvRecords(rows)).toEqual([['CONTOSO\\a,b', 'a@contoso.com', 'FALSE']])
  })
})

describe('the fleet map in the ledger', () => {
  it('the latest valid usermap.set by clock wins whole; an invalid value from a peer is ignored', () => {
    const first = cmd(1000, A, toUserMapValue([{ source: 'root', upn: 'alice@contoso.com', group: false }]))
    const second = cmd(2000, B, toUserMapValue([{ source: 'nobody', upn: 'bob@contoso.com', group: false }]))
    const broken = cmd(3000, A, { rows: [['x']] })
    for (const order of [[first, second, broken], [broken, second, first]]) {
      const m = foldUserMap(order)
      expect(m.rows).toEqual([{ source: 'nobody', upn: 'bob@contoso.com', group: false }])
      expect(m.setBy).toBe(B)
    }
    expect(foldUserMap([])).toEqual({ rows: [], setAt: null, setBy: null })
  })

  it('looks logins up case-insensitively; an agent override wins; a group is never an author', () => {
    const l = userLookup([{ source: 'CONTOSO\\JDoe', upn: 'jdoe@contoso.com', group: false }, { source: 'team', upn: 'team@contoso.com', group: true }], [{ source: 'contoso\\jdoe', upn: 'john@contoso.com', group: false }])
    expect(l.upnFor('CONTOSO\\jdoe')).toBe('john@contoso.com')
    expect(l.upnFor('team')).toBeNull()
    expect(l.has('TEAM')).toBe(true)
    expect(l.upnFor('ghost')).toBeNull()
    expect(l.upnFor(null)).toBeNull()
  })
})

describe('usermap check: which scanned principals the map does not resolve', () => {
  const l = userLookup([
    { source: 'daemon', upn: 'alice@contoso.com', group: false },
    { source: 'Staff', upn: 'eng@contoso.com', group: true },
    { source: 'bin', upn: 'binners@contoso.com', group: true },
    { source: 'S-1-5-21-9-9-9-1001', upn: 'ann@contoso.com', group: false },
  ])

  it('a user resolves only through a user row, a group only through a group row, a SID through either', () => {
    expect(unresolvedReason(l, 'DAEMON', false)).toBeNull()
    expect(unresolvedReason(l, 'staff', true)).toBeNull()
    expect(unresolvedReason(l, 'staff', false)).toBe('mapped to a group')
    expect(unresolvedReason(l, 'daemon', true)).toBe('mapped to a user')
    expect(unresolvedReason(l, 's-1-5-21-9-9-9-1001', null)).toBeNull()
    expect(unresolvedReason(l, 'S-1-5-21-9-9-9-1002', null)).toBe('not in the user map')
    expect(unresolvedReason(l, 'sys', true)).toBe('not in the user map')
  })

  it('lists the unresolved owners, then the unresolved permission principals, saying which is which', () => {
    const owners = ['daemon', 'nobody', 'bin']
    const principals = [
      { login: 'daemon', group: false },
      { login: 'daemon', group: true },
      { login: 'staff', group: true },
      { login: 'sys', group: false },
      { login: 'S-1-5-32-544', group: null },
    ]
    const u = unresolvedPrincipals(l, owners, principals)
    expect(u).toEqual([
      { login: 'nobody', as: 'owner', group: false, reason: 'not in the user map' },
      { login: 'bin', as: 'owner', group: false, reason: 'mapped to a group' },
      { login: 'daemon', as: 'permission', group: true, reason: 'mapped to a user' },
      { login: 'sys', as: 'permission', group: false, reason: 'not in the user map' },
      { login: 'S-1-5-32-544', as: 'permission', group: null, reason: 'not in the user map' },
    ])
    expect(u.map(principalRole)).toEqual(['owner', 'owner', 'permission group', 'permission user', 'permission entry'])
    expect(unresolvedPrincipals(l, ['daemon'], [])).toEqual([])
  })
})
