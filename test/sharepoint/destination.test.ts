import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { makeShare, pushShare, sourceOf, startHarness, type Harness } from './helpers.ts'
import { DestinationError } from '../../agent/engine/destination.ts'
import { parseUserMapping } from '../../agent/destinations/sharepoint/user-mapping.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.stop()
})

describe('SharePoint destination against the emulator (real @pnp/sp + msal-node)', () => {
  it('lands a small share byte-identical with Created/Modified as at the source, and lists it back', async () => {
    const root = path.join(h.dir, 'share1')
    await mkdir(root, { recursive: true })
    const files = await makeShare(root, 24)
    const dest = h.destination({ folder: 'Migrated/Share1' })
    const signal = AbortSignal.timeout(60_000)
    await dest.open(signal)
    expect(dest.displayPath('a b/c.txt')).toBe(`${h.emu.url}/sites/dev/Shared Documents/Migrated/Share1/a b/c.txt`)
    const { failed } = await pushShare(dest, root, files)
    expect(failed).toEqual([])
    for (const f of files) {
      const url = `/sites/dev/Shared Documents/Migrated/Share1/${f.rel}`
      const got = await h.emu.readFile(url)
      expect(got?.equals(f.bytes), url).toBe(true)
      const meta = h.emu.meta(url)!
      expect(meta.timeLastModified).toBe(f.mtimeMs)
      expect(meta.timeCreated).toBe(f.birthtimeMs)
    }
    const top = await dest.list('', signal)
    expect(top).not.toBeNull()
    expect([...top!.keys()].sort()).toEqual(['dir1', 'dir2', ...files.filter((f) => !f.rel.includes('/')).map((f) => f.rel)].sort())
    const f0 = files[0]!
    expect(top!.get(f0.rel)).toMatchObject({ isFolder: false, size: f0.bytes.length, mtimeMs: f0.mtimeMs, partial: false, writtenByThisApp: true })
    expect(await dest.list('no/such/folder', signal)).toBeNull()
    // decorated traffic, as Microsoft asks of migration tools
    expect(h.emu.stats.userAgents).toEqual(['ISV|mmesh|mmesh/0.1.0'])
  })

  it('uses the upload session for a file over three chunks, also when a chunk connection drops', async () => {
    const root = path.join(h.dir, 'big')
    await mkdir(root, { recursive: true })
    const chunk = 320 * 1024
    const [big] = await makeShare(root, 1, { size: () => chunk * 3 + 12345, folders: 1 })
    const dest = h.destination({ folder: 'Big', chunkSize: chunk })
    const signal = AbortSignal.timeout(60_000)
    await dest.open(signal)
    const before = { ...h.emu.stats.byKind }
    let progressed = 0
    await dest.putFile(big!.rel, sourceOf(root, big!), { signal, overwrite: false, onProgress: (b) => (progressed = b) })
    expect(progressed).toBe(big!.bytes.length)
    expect((h.emu.stats.byKind.continueUpload ?? 0) - (before.continueUpload ?? 0)).toBe(2)
    expect((h.emu.stats.byKind.finishUpload ?? 0) - (before.finishUpload ?? 0)).toBe(1)
    const url = `/sites/dev/Shared Documents/Big/${big!.rel}`
    expect((await h.emu.readFile(url))!.equals(big!.bytes)).toBe(true)

    // drop the connection of a continueUpload mid-body: the session goes on from where it stands, the file lands whole
    const uploadsBefore = h.emu.stats.uploads
    const sessionsBefore = h.emu.stats.uploadSessions
    const cancels = h.emu.stats.byKind.cancelUpload ?? 0
    h.emu.setFaults({ dropNext: { kind: 'continueUpload', count: 1 } })
    const big2 = { ...big!, rel: 'again.bin' }
    const { writeFile, utimes } = await import('node:fs/promises')
    await writeFile(path.join(root, big2.rel), big2.bytes)
    await utimes(path.join(root, big2.rel), big2.mtimeMs / 1000, big2.mtimeMs / 1000)
    await dest.putFile(big2.rel, sourceOf(root, big2), { signal, overwrite: false })
    h.emu.setFaults({})
    expect(h.emu.stats.dropped).toBeGreaterThanOrEqual(1)
    expect(h.emu.stats.byKind.cancelUpload ?? 0).toBe(cancels)
    expect(h.emu.stats.uploadSessions - sessionsBefore).toBe(1)
    expect(h.emu.stats.uploads - uploadsBefore).toBe(1)
    const url2 = `/sites/dev/Shared Documents/Big/again.bin`
    expect((await h.emu.readFile(url2))!.equals(big2.bytes)).toBe(true)
    expect(h.emu.meta(url2)!.timeLastModified).toBe(big2.mtimeMs)
  })

  it('reports an empty stub it left as partial, and an Office document as compared by time only', async () => {
    const dest = h.destination({ folder: 'Stubs' })
    const signal = AbortSignal.timeout(30_000)
    await dest.open(signal)
    // a stub as a killed chunked upload leaves it: an empty file written by this app
    await dest.sp.web.getFolderByServerRelativePath('/sites/dev/Shared Documents/Stubs').files.addUsingPath('stub.bin', new ArrayBuffer(0) as never, { Overwrite: true })
    const root = path.join(h.dir, 'office')
    await mkdir(root, { recursive: true })
    const [doc] = await makeShare(root, 1, { folders: 1 })
    const { rename } = await import('node:fs/promises')
    await rename(path.join(root, doc!.rel), path.join(root, 'report.docx'))
    doc!.rel = 'report.docx'
    await dest.putFile('report.docx', sourceOf(root, doc!), { signal, overwrite: false })
    const entries = (await dest.list('', signal))!
    expect(entries.get('stub.bin')).toMatchObject({ partial: true, size: 0 })
    const d = entries.get('report.docx')!
    expect(d.mtimeOnly).toBe(true)
    expect(d.size).not.toBe(doc!.bytes.length) // SharePoint (and the emulator) rewrote it
    expect(d.mtimeMs).toBe(doc!.mtimeMs)
  })

  it('sets Author/Editor from the user mapping, and keeps times when a mapped user is unknown', async () => {
    const mapping = parseUserMapping('CONTOSO\\alice,alice@contoso.com,FALSE\nCONTOSO\\ghost,ghost@contoso.com,FALSE\nCONTOSO\\team,team@contoso.com,TRUE\n')
    const dest = h.destination({ folder: 'Authors', userMapping: mapping })
    const signal = AbortSignal.timeout(30_000)
    await dest.open(signal)
    const root = path.join(h.dir, 'authors')
    await mkdir(root, { recursive: true })
    const files = await makeShare(root, 2, { folders: 1 })
    await dest.putFile(files[0]!.rel, sourceOf(root, files[0]!, 'contoso\\ALICE'), { signal, overwrite: false })
    await dest.putFile(files[1]!.rel, sourceOf(root, files[1]!, 'CONTOSO\\ghost'), { signal, overwrite: false })
    const a = h.emu.meta(`/sites/dev/Shared Documents/Authors/${files[0]!.rel}`)!
    expect(a.author).toBe('i:0#.f|membership|alice@contoso.com')
    expect(a.editor).toBe('i:0#.f|membership|alice@contoso.com')
    const g = h.emu.meta(`/sites/dev/Shared Documents/Authors/${files[1]!.rel}`)!
    expect(g.author).toContain(h.app.clientId)
    expect(g.timeLastModified).toBe(files[1]!.mtimeMs)
  })

  it('works on the de-DE site: localised library title, German date format and Berlin time', async () => {
    const dest = h.destination({ siteUrl: h.emu.sites.de, library: 'Dokumente' })
    const signal = AbortSignal.timeout(30_000)
    await dest.open(signal)
    expect(dest.displayPath('x.txt')).toBe(`${h.emu.url}/sites/de/Freigegebene Dokumente/x.txt`)
    const root = path.join(h.dir, 'de')
    await mkdir(root, { recursive: true })
    const files = await makeShare(root, 6)
    // one summer and one winter time, so daylight saving matters
    const { failed } = await pushShare(dest, root, files)
    expect(failed).toEqual([])
    for (const f of files) {
      const meta = h.emu.meta(`/sites/de/Freigegebene Dokumente/${f.rel}`)!
      expect(meta.timeLastModified).toBe(f.mtimeMs)
    }
    // the English library title does not exist there
    const wrong = h.destination({ siteUrl: h.emu.sites.de, library: 'Documents' })
    const err = await wrong.open(signal).catch((e) => e)
    expect(err).toBeInstanceOf(DestinationError)
    expect(err).toMatchObject({ scope: 'task', code: 'LIBRARY_NOT_FOUND' })
  })

  it('refuses invalid names and too-long paths as item failures with Migration Manager codes', async () => {
    const dest = h.destination({ folder: 'Refused' })
    const signal = AbortSignal.timeout(30_000)
    await dest.open(signal)
    const root = path.join(h.dir, 'refused')
    await mkdir(root, { recursive: true })
    const [f] = await makeShare(root, 1, { folders: 1 })
    const bad = await dest.putFile('bad:name.txt', sourceOf(root, f!), { signal, overwrite: false }).catch((e) => e)
    expect(bad).toMatchObject({ scope: 'item', code: '0x01110010', retryable: false })
    const long = 'x'.repeat(380) + '.txt'
    const tooLong = await dest.putFile(long, sourceOf(root, f!), { signal, overwrite: false }).catch((e) => e)
    expect(tooLong).toMatchObject({ scope: 'item', code: '0x0111000B' })
    expect(dest.displayPath(long).length).toBeGreaterThan(400)
    h.emu.lockFile('/sites/dev/Shared Documents/Refused/' + f!.rel, 'bob@contoso.com')
    await dest.putFile(f!.rel, sourceOf(root, f!), { signal, overwrite: false }).catch(() => {})
    // first write created it; now locked: an overwrite fails as an item, retryable later
    h.emu.lockFile('/sites/dev/Shared Documents/Refused/' + f!.rel, 'bob@contoso.com')
    const locked = await dest.putFile(f!.rel, sourceOf(root, f!), { signal, overwrite: true }).catch((e) => e)
    expect(locked).toMatchObject({ scope: 'item', code: '0x0131000F' })
  })

  it('passes the QuickXorHash with one-request uploads; SharePoint (the emulator) refuses a wrong one', async () => {
    const { quickXorHash } = await import('../../protocol/quickxor.ts')
    const root = path.join(h.dir, 'xor')
    await mkdir(root, { recursive: true })
    const [f] = await makeShare(root, 1, { folders: 1 })
    const signal = AbortSignal.timeout(30_000)
    const dest = h.destination({ folder: 'Xor' })
    await dest.open(signal)
    const r = await dest.putFile(f!.rel, sourceOf(root, f!), { signal, overwrite: false })
    expect(r).toEqual({ size: f!.bytes.length, hash: quickXorHash(f!.bytes), hashAlgorithm: 'QuickXorHash' })
    const lying = h.destination({ folder: 'Xor', quickXorHash: async () => 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })
    await lying.open(signal)
    const before = h.emu.stats.hashMismatches
    const e = await lying.putFile('other.bin', sourceOf(root, f!), { signal, overwrite: false }).catch((x) => x)
    expect(e).toMatchObject({ scope: 'item', retryable: false })
    expect(h.emu.stats.hashMismatches).toBe(before + 1)
    expect(h.emu.meta('/sites/dev/Shared Documents/Xor/other.bin')).toBeUndefined()
  })

  it('the emulator answers the item calls PnPjs makes on its own (getItem, Lists(guid)/Items(n)/validateUpdateListItem)', async () => {
    const dest = h.destination({ folder: 'Items' })
    const signal = AbortSignal.timeout(30_000)
    await dest.open(signal)
    const root = path.join(h.dir, 'items')
    await mkdir(root, { recursive: true })
    const [f] = await makeShare(root, 1, { folders: 1 })
    await dest.putFile(f!.rel, sourceOf(root, f!), { signal, overwrite: false })
    const item = await dest.sp.web.getFileByServerRelativePath(`/sites/dev/Shared Documents/Items/${f!.rel}`).getItem()
    const res = await item.validateUpdateListItem([{ FieldName: 'Modified', FieldValue: '1/2/2024 3:04:05 PM' }], true)
    expect(res).toEqual([expect.objectContaining({ FieldName: 'Modified', HasException: false })])
    // 15:04:05 Pacific (standard time) on 2 January 2024 is 23:04:05 UTC
    expect(h.emu.meta(`/sites/dev/Shared Documents/Items/${f!.rel}`)!.timeLastModified).toBe(Date.UTC(2024, 0, 2, 23, 4, 5))
    const bad = await item.validateUpdateListItem([{ FieldName: 'Modified', FieldValue: '2024-01-02T15:04:05Z' }], true)
    expect(bad).toEqual([expect.objectContaining({ HasException: true, ErrorMessage: 'Invalid date/time value' })])
  })

  it('lists a large folder page by page (odata.nextLink) and hides the library\'s Forms folder', async () => {
    const dest = h.destination({ listPageSize: 3 })
    const signal = AbortSignal.timeout(30_000)
    await dest.open(signal)
    const root = path.join(h.dir, 'paged')
    await mkdir(root, { recursive: true })
    const files = (await makeShare(root, 8, { folders: 1 })).map((f) => ({ ...f, rel: `Paged/${f.rel}` }))
    await dest.ensureFolder('Paged', signal)
    for (const f of files) {
      await dest.putFile(f.rel, { ...sourceOf(root, { ...f, rel: f.rel.slice(6) }) }, { signal, overwrite: false })
    }
    const before = h.emu.stats.byKind.listFolder ?? 0
    const listed = await dest.list('Paged', signal)
    expect(listed!.size).toBe(8)
    // 8 files in pages of 3 = 3 requests, plus 1 for the (empty) folder list
    expect((h.emu.stats.byKind.listFolder ?? 0) - before).toBe(4)
    const top = await dest.list('', signal)
    expect(top!.has('Forms')).toBe(false)
    expect(top!.has('Paged')).toBe(true)
  })
})
