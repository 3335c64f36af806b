import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { credentialsFor, makeShare, pushShare, startHarness, type Harness } from './helpers.ts'
import { DestinationError } from '../../agent/engine/destination.ts'
import { createCertificateTokenProvider, cachingProvider } from '../../agent/auth/token-provider.ts'
import { createSharePointDestination } from '../../agent/destinations/sharepoint/index.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.stop()
})

const openErr = async (d: { open(s: AbortSignal): Promise<void> }): Promise<DestinationError> => {
  const e = await d.open(AbortSignal.timeout(30_000)).then(() => null, (x: unknown) => x)
  expect(e).toBeInstanceOf(DestinationError)
  return e as DestinationError
}

describe('SharePoint destination: task-level failures say which and what to do', () => {
  it('wrong site URL', async () => {
    const e = await openErr(h.destination({ siteUrl: `${h.emu.url}/sites/nosuchsite` }))
    expect(e).toMatchObject({ scope: 'task', code: '0x0201000F' })
    expect(e.message).toMatch(/site .*nosuchsite was not found: check the site URL/)
  })

  it('missing library', async () => {
    const e = await openErr(h.destination({ library: 'Dokumente' }))
    expect(e).toMatchObject({ scope: 'task', code: 'LIBRARY_NOT_FOUND' })
    expect(e.message).toMatch(/library "Dokumente" was not found .*Site contents/)
  })

  it('app without access to the site', async () => {
    const e = await openErr(h.destination({ siteUrl: h.emu.sites.noAccess }))
    expect(e).toMatchObject({ scope: 'task', code: 'ACCESS_DENIED' })
    expect(e.message).toContain(h.app.clientId)
  })

  it('wrong tenant, unknown app, certificate not registered, expired certificate', async () => {
    const wrongTenant = createCertificateTokenProvider({ ...h.creds, tenantId: '99999999-2222-3333-4444-555555555555' })
    let e = await openErr(h.destination({ tokenProvider: wrongTenant }))
    expect(e).toMatchObject({ scope: 'task', code: 'AUTH_WRONG_TENANT' })
    expect(e.message).toMatch(/tenant 9999.* was not found/)

    const unknownApp = createCertificateTokenProvider({ ...h.creds, clientId: '00000000-0000-0000-0000-000000000abc' })
    e = await openErr(h.destination({ tokenProvider: unknownApp }))
    expect(e).toMatchObject({ scope: 'task', code: 'AUTH_UNKNOWN_APP' })

    const stray = h.emu.issueAppCredentials({ clientId: h.app.clientId, register: false })
    const notRegistered = createCertificateTokenProvider(credentialsFor(h.emu, stray))
    e = await openErr(h.destination({ tokenProvider: notRegistered }))
    expect(e).toMatchObject({ scope: 'task', code: 'AUTH_CERTIFICATE_REJECTED' })
    expect(e.message).toMatch(/refused the app certificate/)

    // registered on the app but past its end date: the sign-in service refuses it (the local check is bypassed here)
    const old = h.emu.issueAppCredentials({ clientId: h.app.clientId, notBefore: new Date(Date.now() - 3 * 86400_000), notAfter: new Date(Date.now() - 86400_000) })
    const serverSaysExpired = createCertificateTokenProvider({
      ...h.creds, certPem: old.cert.certPem, privateKeyPem: old.cert.keyPem, thumbprintSha256: old.cert.thumbprintSha256, thumbprintSha1: old.cert.thumbprintSha1,
    })
    e = await openErr(h.destination({ tokenProvider: serverSaysExpired }))
    expect(e).toMatchObject({ scope: 'task', code: 'AUTH_CERTIFICATE_EXPIRED' })
    const expiredProvider = createCertificateTokenProvider({ ...h.creds, notAfter: new Date(Date.now() - 1000) })
    e = await openErr(h.destination({ tokenProvider: expiredProvider }))
    expect(e).toMatchObject({ scope: 'task', code: 'AUTH_CERTIFICATE_EXPIRED' })
    expect(e.message).toMatch(/expired .* mmesh auth set/)
  })

  it('a client-secret token is refused by SharePoint REST (401) with advice to use a certificate', async () => {
    h.emu.registerApp({ clientId: 'aaaaaaaa-0000-0000-0000-000000000001', tenantId: h.emu.tenantId, certs: [], secrets: ['s3cret'] })
    const { ConfidentialClientApplication } = await import('@azure/msal-node')
    const cca = new ConfidentialClientApplication({
      auth: { clientId: 'aaaaaaaa-0000-0000-0000-000000000001', authority: `${h.emu.authority}/${h.emu.tenantId}`, knownAuthorities: [new URL(h.emu.authority).host], clientSecret: 's3cret' },
    })
    const secretTokens = cachingProvider('app', 'aaaaaaaa-0000-0000-0000-000000000001', async (origin) => {
      const r = await cca.acquireTokenByClientCredential({ scopes: [`${origin}/.default`] })
      return { token: r!.accessToken, expiresOn: r!.expiresOn!.getTime() }
    })
    const e = await openErr(createSharePointDestination({ siteUrl: h.emu.sites.dev, library: 'Documents', tokenProvider: secretTokens }))
    expect(e).toMatchObject({ scope: 'task', code: 'AUTH_REFUSED' })
    expect(e.message).toMatch(/client secret.*certificate/)
  })

  it('renews an expired token on 401 and carries on', async () => {
    const dest = h.destination({ folder: 'Renew' })
    const signal = AbortSignal.timeout(30_000)
    await dest.open(signal)
    const root = path.join(h.dir, 'renew')
    await mkdir(root, { recursive: true })
    const files = await makeShare(root, 6, { folders: 1 })
    const tokensBefore = h.emu.stats.tokens
    h.emu.expireAllTokens()
    const { failed } = await pushShare(dest, root, files, 3)
    expect(failed).toEqual([])
    expect(h.emu.stats.tokens - tokensBefore).toBe(1) // concurrent 401s share one renewal
    expect(h.emu.stats.unauthorized).toBeGreaterThanOrEqual(1)
  })

  it('storage full is a task failure saying to raise the quota', async () => {
    const site = h.emu.store.siteFor('/sites/dev')!
    site.quotaBytes = site.usedBytes + 10
    try {
      const dest = h.destination({ folder: 'Quota' })
      const signal = AbortSignal.timeout(30_000)
      await dest.open(signal)
      const root = path.join(h.dir, 'quota')
      await mkdir(root, { recursive: true })
      const files = await makeShare(root, 1, { folders: 1, size: () => 1000 })
      const e = await dest.putFile(files[0]!.rel, { localPath: path.join(root, files[0]!.rel), size: 1000, mtimeMs: files[0]!.mtimeMs, birthtimeMs: null, owner: null }, { signal, overwrite: false }).catch((x) => x)
      expect(e).toMatchObject({ scope: 'task', code: 'QUOTA_EXCEEDED' })
      expect(e.message).toMatch(/raise the site's storage quota/)
    } finally {
      site.quotaBytes = undefined
    }
  })
})
