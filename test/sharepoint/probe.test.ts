/**
 * The scan's destination check on SharePoint (real @pnp/sp + msal-node against the emulator): the probe
 * finds the library, writes an empty file in the nearest folder that exists on the way to the task's
 * folder and deletes it again, so a scan leaves nothing behind; a missing library or an identity the site
 * refuses is said in words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from './helpers.ts'
import { checkDestination } from '../../agent/engine/assess.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.stop()
})

async function libraryRoot(): Promise<string[]> {
  const d = h.destination()
  const signal = AbortSignal.timeout(30_000)
  await d.open(signal)
  return [...((await d.list('', signal))?.keys() ?? [])].sort()
}

describe('SharePoint destination check', () => {
  it('writes and deletes a test file in the nearest existing folder, creating nothing', async () => {
    const existing = h.destination({ folder: 'Exists' })
    await existing.open(AbortSignal.timeout(30_000)) // makes /Exists, the folder the second probe must find
    const before = await libraryRoot()
    const uploads = h.emu.stats.byKind.upload ?? 0
    const deletes = h.emu.stats.byKind.delete ?? 0

    const notYet = h.destination({ folder: 'Not/Yet' })
    expect(notYet.displayPath('a.txt')).toBe(`${h.emu.sites.dev}/Documents/Not/Yet/a.txt`)
    const fresh = await checkDestination(notYet, AbortSignal.timeout(30_000))
    expect(fresh).toEqual({ ok: true, message: `wrote and deleted a test file in ${new URL(h.emu.sites.dev).origin}/sites/dev/Shared Documents` })
    // the scan then measures paths with the library's URL, as SharePoint will store them
    expect(notYet.displayPath('a.txt')).toBe(`${new URL(h.emu.sites.dev).origin}/sites/dev/Shared Documents/Not/Yet/a.txt`)
    const deeper = await checkDestination(h.destination({ folder: 'Exists/Deeper/Still' }), AbortSignal.timeout(30_000))
    expect(deeper).toEqual({ ok: true, message: `wrote and deleted a test file in ${new URL(h.emu.sites.dev).origin}/sites/dev/Shared Documents/Exists` })

    expect((h.emu.stats.byKind.upload ?? 0) - uploads).toBe(2)
    expect((h.emu.stats.byKind.delete ?? 0) - deletes).toBe(2)
    expect(await libraryRoot()).toEqual(before)
    expect(h.emu.meta('/sites/dev/Shared Documents/Not')).toBeUndefined()
    expect(h.emu.meta('/sites/dev/Shared Documents/Exists/Deeper')).toBeUndefined()
  })

  it('says what is wrong when the library is missing or the site refuses the identity', async () => {
    const lib = await checkDestination(h.destination({ library: 'Nope' }), AbortSignal.timeout(30_000))
    expect(lib?.ok).toBe(false)
    expect(lib?.message).toMatch(/^library "Nope" was not found on .*\/sites\/dev: give the library's title as shown in Site contents/)
    const denied = await checkDestination(h.destination({ siteUrl: h.emu.sites.noAccess }), AbortSignal.timeout(30_000))
    expect(denied?.ok).toBe(false)
    expect(denied?.message).toMatch(/^app .* has no access to .*\/sites\/noaccess \(Access denied\.\): grant it Sites\.FullControl\.All, or write access on this site/)
  })
})
