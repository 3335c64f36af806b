import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { makeShare, pushShare, sourceOf, startHarness, type Harness } from './helpers.ts'
import { saveCredentials } from '../../agent/auth/credentials.ts'
import { createSharePointOpener } from '../../agent/destinations/sharepoint/opener.ts'
import { EN_US, DE_DE } from '../fixtures/sp-emulator/store.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.stop()
})

describe('SharePoint opener (what the agent wires) and harder failures', () => {
  it('opens a OneDrive destination with credentials from the data dir; an empty data dir is a task failure', async () => {
    const data = path.join(h.dir, 'agent')
    await mkdir(data, { recursive: true })
    const pemFile = path.join(h.dir, 'opener.pem')
    await writeFile(pemFile, h.app.cert.pem)
    const none = createSharePointOpener({ dataDir: data, version: '0.1.0', env: {} })
    const e = await none.open({ url: h.emu.sites.personal, library: null, folder: null }).open(AbortSignal.timeout(20_000)).catch((x) => x)
    expect(e).toMatchObject({ scope: 'task', code: 'AUTH_SIGN_IN_REQUIRED' })
    expect(e.message).toMatch(/no SharePoint credentials .*mmesh auth set/)

    await saveCredentials(data, { tenantId: h.app.tenantId, clientId: h.app.clientId, certFile: pemFile, authority: h.emu.authority })
    const throttles: number[] = []
    const opener = createSharePointOpener({ dataDir: data, version: '0.1.0', env: {}, onThrottle: (u) => throttles.push(u) })
    const dest = opener.open({ url: h.emu.sites.personal, library: null, folder: 'From Share' })
    await dest.open(AbortSignal.timeout(20_000))
    const root = path.join(h.dir, 'od')
    await mkdir(root, { recursive: true })
    const files = await makeShare(root, 5)
    expect((await pushShare(dest as never, root, files)).failed).toEqual([])
    for (const f of files) {
      expect((await h.emu.readFile(`/personal/user_contoso_com/Documents/From Share/${f.rel}`))?.equals(f.bytes)).toBe(true)
    }
    const listed = await dest.list('', AbortSignal.timeout(10_000))
    expect([...listed!.values()].filter((x) => !x.isFolder).every((x) => x.writtenByThisApp)).toBe(true)
  })

  it('a date SharePoint refuses (HasException) fails the item and leaves no file that looks finished', async () => {
    const dest = h.destination({ folder: 'Dates' })
    const signal = AbortSignal.timeout(20_000)
    await dest.open(signal)
    // the site's regional settings change after open: our en-US dates are now wrong for it
    const site = h.emu.store.siteFor('/sites/dev')!
    site.regional = DE_DE
    try {
      const root = path.join(h.dir, 'dates')
      await mkdir(root, { recursive: true })
      const [f] = await makeShare(root, 1, { folders: 1 })
      const e = await dest.putFile(f!.rel, sourceOf(root, f!), { signal, overwrite: false }).catch((x) => x)
      expect(e).toMatchObject({ scope: 'item', code: '0x01110011' })
      expect(e.message).toMatch(/refused (Created|Modified) time/)
      expect(h.emu.meta(`/sites/dev/Shared Documents/Dates/${f!.rel}`)).toBeUndefined()
    } finally {
      site.regional = EN_US
    }
  })

  it('a file uploaded whole whose date update keeps failing is retried as ours, not left as "someone else wrote it"', async () => {
    const dest = h.destination({ folder: 'OursAfterAll', putAttempts: 3 })
    const signal = AbortSignal.timeout(60_000)
    await dest.open(signal)
    const root = path.join(h.dir, 'ours')
    await mkdir(root, { recursive: true })
    const [f] = await makeShare(root, 1, { folders: 1 })
    // The upload lands; the date update's connection drops five times in a row, which ends the first
    // attempt (the transport tries a dropped call five times). The retry asks who wrote the file: us.
    h.emu.setFaults({ dropNext: { kind: 'validateUpdate', count: 5 } })
    try {
      const before = h.emu.stats.byKind.validateUpdate ?? 0
      await dest.putFile(f!.rel, sourceOf(root, f!), { signal, overwrite: false })
      expect((h.emu.stats.byKind.validateUpdate ?? 0) - before).toBe(6)
    } finally {
      h.emu.setFaults({})
    }
    const url = `/sites/dev/Shared Documents/OursAfterAll/${f!.rel}`
    expect((await h.emu.readFile(url))?.equals(f!.bytes)).toBe(true)
    expect(h.emu.meta(url)!.timeLastModified).toBe(f!.mtimeMs)
  })

  // This test failed about once in 30 loaded runs with "someone else wrote … while it was being uploaded":
  // the emulator ignored `$expand=ModifiedBy` on a single file, so the retry path (test above) never saw
  // the file as ours. Fixed in the emulator; the retry stays for the timing of the fault storm under load.
  it('transient 500s and dropped connections on every kind of call: all files still land whole', { retry: 2, timeout: 150_000 }, async () => {
    const dest = h.destination({ folder: 'Flaky', putAttempts: 6 })
    const signal = AbortSignal.timeout(120_000)
    await dest.open(signal)
    const root = path.join(h.dir, 'flaky')
    await mkdir(root, { recursive: true })
    const files = await makeShare(root, 40)
    h.emu.setFaults({ errorRate: 0.1, dropRate: 0.1 })
    try {
      const { failed } = await pushShare(dest, root, files, 8, signal)
      expect(failed.map((f) => String(f.err))).toEqual([])
    } finally {
      h.emu.setFaults({})
    }
    expect(h.emu.stats.errors + h.emu.stats.dropped).toBeGreaterThan(0)
    for (const f of files) {
      const url = `/sites/dev/Shared Documents/Flaky/${f.rel}`
      expect((await h.emu.readFile(url))?.equals(f.bytes), url).toBe(true)
      expect(h.emu.meta(url)!.timeLastModified).toBe(f.mtimeMs)
    }
  })
})
