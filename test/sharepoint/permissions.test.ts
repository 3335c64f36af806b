/**
 * The SharePoint destination's applyPermissions against the emulator (real @pnp/sp + msal-node): mapped
 * users and groups get their roles after inheritance is broken without copying; a principal the mapping
 * does not name, or the tenant does not know, is reported and not granted; a repeat costs one read and
 * changes nothing; a changed set changes only the difference; null makes the item inherit again; the
 * library root keeps its permissions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from './helpers.ts'
import { parseUserMapping } from '../../agent/destinations/sharepoint/user-mapping.ts'
import type { Grant } from '../../protocol/permissions.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.stop()
})

const mapping = parseUserMapping('CONTOSO\\jdoe,alice@contoso.com,FALSE\nCONTOSO\\Finance,eng@contoso.com,TRUE\nCONTOSO\\gone,nobody@contoso.com,FALSE\n')
const grant = (principal: string, role: Grant['role'], group = false): Grant => ({ principal, group, role })

describe('SharePoint applyPermissions', () => {
  it('breaks inheritance, assigns mapped roles, reports the unmapped, repeats cheaply, follows changes and resets', async () => {
    const dest = h.destination({ folder: 'Perms', userMapping: mapping })
    const signal = AbortSignal.timeout(60_000)
    await dest.open(signal)
    await dest.ensureFolder('hr', signal)
    const url = '/sites/dev/Shared Documents/Perms/hr'
    const roles = () => h.emu.security.view(url).assignments.map((a) => `${a.email}:${a.role}`)

    const first = await dest.applyPermissions!('hr', true, [grant('CONTOSO\\Finance', 'Read', true), grant('CONTOSO\\jdoe', 'Full Control'), grant('CONTOSO\\gone', 'Read'), grant('stranger', 'Contribute')], signal)
    expect(first.change).toBe('unique')
    expect(first.granted.map((g) => g.to)).toEqual(['eng@contoso.com', 'alice@contoso.com'])
    expect(first.unmapped.map((u) => `${u.grant.principal}: ${u.why}`)).toEqual(['CONTOSO\\gone: nobody@contoso.com not found in the tenant', 'stranger: not in the user mapping'])
    expect(h.emu.security.view(url).unique).toBe(true)
    expect(roles()).toEqual(['alice@contoso.com:Full Control', 'eng@contoso.com:Read'])
    // the parent folder is untouched
    expect(h.emu.security.view('/sites/dev/Shared Documents/Perms').unique).toBe(false)

    const calls = { ...h.emu.security.calls }
    const again = await dest.applyPermissions!('hr', true, [grant('CONTOSO\\Finance', 'Read', true), grant('CONTOSO\\jdoe', 'Full Control')], signal)
    expect(again.change).toBe('none')
    expect(h.emu.security.calls).toEqual(calls)

    const changed = await dest.applyPermissions!('hr', true, [grant('CONTOSO\\Finance', 'Contribute', true), grant('CONTOSO\\jdoe', 'Full Control')], signal)
    expect(changed.change).toBe('unique')
    expect(roles()).toEqual(['alice@contoso.com:Full Control', 'eng@contoso.com:Contribute'])
    expect(h.emu.security.calls.addAssignment - calls.addAssignment).toBe(1)
    expect(h.emu.security.calls.removeAssignment - calls.removeAssignment).toBe(1)
    expect(h.emu.security.calls.breakInheritance).toBe(calls.breakInheritance)

    expect((await dest.applyPermissions!('hr', true, null, signal)).change).toBe('reset')
    expect(h.emu.security.view(url).unique).toBe(false)
    expect((await dest.applyPermissions!('hr', true, null, signal)).change).toBe('none')

    const lib = h.destination({ userMapping: mapping })
    await lib.open(signal)
    expect(await lib.applyPermissions!('', true, [grant('CONTOSO\\jdoe', 'Read')], signal)).toMatchObject({ change: 'none', note: 'the library root keeps its permissions' })
    expect(h.emu.security.isUnique('/sites/dev/Shared Documents')).toBe(false)
  })
})
