import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, stat, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { startSpEmulator, type SpEmulator, type AppCredentials } from '../fixtures/sp-emulator/index.ts'

const BIN = path.resolve('bin/mmesh.js')
let emu: SpEmulator
let dir: string
let app: AppCredentials
let pem: string

const mmesh = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [BIN, ...args], { reject: false, timeout: 60_000, env: { NODE_EXTRA_CA_CERTS: emu.caFile, MMESH_DATA: '', ...env } })

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mmesh-spcli-'))
  emu = await startSpEmulator({ dir: path.join(dir, 'emu') })
  app = emu.issueAppCredentials()
  pem = path.join(dir, 'app.pem')
  await writeFile(pem, app.cert.pem)
})
afterAll(async () => {
  await emu?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('mmesh auth set / test through the real CLI against the emulator', () => {
  it('auth set stores the credentials (0600) without an agent; auth test says OK', async () => {
    const data = path.join(dir, 'agent1')
    const set = await mmesh(['auth', 'set', '--data', data, '--tenant', app.tenantId, '--client-id', app.clientId, '--cert', pem, '--authority', emu.authority])
    expect(set.stderr).toBe('')
    expect(set.exitCode).toBe(0)
    expect(set.stdout).toContain(app.cert.thumbprintSha1)
    const saved = JSON.parse(await readFile(path.join(data, 'auth.json'), 'utf8'))
    expect(saved).toMatchObject({ tenantId: app.tenantId, clientId: app.clientId, authority: emu.authority, thumbprintSha256: app.cert.thumbprintSha256 })
    expect(JSON.stringify(saved)).not.toContain('PRIVATE KEY')
    expect((await stat(path.join(data, 'auth.json'))).mode & 0o777).toBe(0o600)
    expect((await stat(path.join(data, 'auth-cert.pem'))).mode & 0o777).toBe(0o600)

    const ok = await mmesh(['auth', 'test', '--data', data, '--dest', emu.sites.dev])
    expect(ok.stderr).toBe('')
    expect(ok.exitCode).toBe(0)
    expect(ok.stdout.trim().split('\n')).toHaveLength(1)
    expect(ok.stdout).toMatch(/^OK: app .* can reach library "Documents" at .*\/sites\/dev\/Shared Documents/)

    const de = await mmesh(['auth', 'test', '--data', data, '--dest', emu.sites.de, '--library', 'Dokumente'])
    expect(de.exitCode).toBe(0)

    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--dest', `${emu.url}/sites/nope`], {}, /site .*\/sites\/nope was not found: check the site URL/],
      [['--dest', emu.sites.dev, '--library', 'Nope'], {}, /library "Nope" was not found/],
      [['--dest', emu.sites.noAccess], {}, /has no access to .*noaccess.*grant/],
      [['--dest', emu.sites.dev], { MMESH_TENANT_ID: '12345678-1234-1234-1234-123456789012' }, /tenant 12345678-.* was not found/],
      [['--dest', emu.sites.dev], { MMESH_CLIENT_ID: '12345678-1234-1234-1234-123456789012' }, /is not registered in tenant/],
    ]
    for (const [args, env, re] of cases) {
      const r = await mmesh(['auth', 'test', '--data', data, ...args], env)
      expect(r.exitCode, r.stderr).toBe(1)
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1)
      expect(r.stderr).toMatch(re)
    }
  }, 120_000)

  it('auth set refuses bad PEMs with one clear line and writes nothing', async () => {
    const data = path.join(dir, 'agent2')
    const certOnly = path.join(dir, 'cert-only.pem')
    await writeFile(certOnly, app.cert.certPem)
    const other = emu.issueAppCredentials({ register: false })
    const mismatch = path.join(dir, 'mismatch.pem')
    await writeFile(mismatch, app.cert.certPem + other.cert.keyPem)
    const old = emu.issueAppCredentials({ notBefore: new Date(Date.now() - 5 * 86400_000), notAfter: new Date(Date.now() - 86400_000) })
    const expired = path.join(dir, 'expired.pem')
    await writeFile(expired, old.cert.pem)
    const cases: [string[], RegExp][] = [
      [['--cert', certOnly], /holds no private key/],
      [['--cert', mismatch], /private key does not belong to the certificate/],
      [['--cert', expired], /certificate expired on .*run mmesh auth set again/],
      [['--cert', path.join(dir, 'missing.pem')], /cannot read certificate file .*ENOENT/],
      [['--cert', pem, '--authority', 'http://insecure.example'], /must use https/],
    ]
    for (const [args, re] of cases) {
      const r = await mmesh(['auth', 'set', '--data', data, '--tenant', app.tenantId, '--client-id', app.clientId, ...args])
      expect(r.exitCode, r.stderr).toBe(1)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(re)
    }
    const bad = await mmesh(['auth', 'set', '--data', data, '--tenant', 'not a tenant', '--client-id', app.clientId, '--cert', pem])
    expect(bad.stderr).toMatch(/tenant id "not a tenant"/)
    await expect(stat(path.join(data, 'auth.json'))).rejects.toThrow()
  }, 120_000)

  it('credentials from MMESH_* environment variables alone', async () => {
    const r = await mmesh(['auth', 'test', '--data', path.join(dir, 'empty'), '--dest', emu.sites.dev], {
      MMESH_TENANT_ID: app.tenantId, MMESH_CLIENT_ID: app.clientId, MMESH_CERT_FILE: pem, MMESH_AUTHORITY: emu.authority,
    })
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    // a certificate that expired since it was set: said plainly, before any request
    const old = emu.issueAppCredentials({ clientId: app.clientId, notBefore: new Date(Date.now() - 5 * 86400_000), notAfter: new Date(Date.now() - 3600_000) })
    const expiredPem = path.join(dir, 'expired-env.pem')
    await writeFile(expiredPem, old.cert.pem)
    const expired = await mmesh(['auth', 'test', '--data', path.join(dir, 'empty'), '--dest', emu.sites.dev], {
      MMESH_TENANT_ID: app.tenantId, MMESH_CLIENT_ID: app.clientId, MMESH_CERT_FILE: expiredPem, MMESH_AUTHORITY: emu.authority,
    })
    expect(expired.exitCode).toBe(1)
    expect(expired.stderr).toMatch(/the certificate expired on .*make a new one/)
    const none = await mmesh(['auth', 'test', '--data', path.join(dir, 'empty'), '--dest', emu.sites.dev])
    expect(none.exitCode).toBe(1)
    expect(none.stderr).toMatch(/no credentials in .*run mmesh auth set/)
  }, 60_000)

  it('auth login: device-code sign-in, then auth test with the delegated token', async () => {
    const clientId = 'bbbbbbbb-0000-0000-0000-00000000000b'
    emu.registerApp({ clientId, tenantId: emu.tenantId, certs: [], secrets: [], publicClient: true })
    const data = path.join(dir, 'agent-login')
    const child = execa('node', [BIN, 'auth', 'login', '--data', data, '--tenant', emu.tenantId, '--client-id', clientId, '--authority', emu.authority, '--timeout', '60'], {
      reject: false, timeout: 60_000, env: { NODE_EXTRA_CA_CERTS: emu.caFile },
    })
    let approved = false
    child.stderr!.on('data', (b: Buffer) => {
      const code = /enter the code (\w+)/.exec(b.toString())?.[1]
      if (code && !approved) approved = emu.approveDeviceCode(code, 'user@contoso.com')
    })
    const r = await child
    expect(approved).toBe(true)
    expect(r.exitCode, String(r.stderr)).toBe(0)
    expect(r.stdout).toMatch(/signed in as user@contoso.com/)
    expect((await stat(path.join(data, 'auth-token-cache.json'))).mode & 0o777).toBe(0o600)
    const t = await mmesh(['auth', 'test', '--data', data, '--dest', emu.sites.personal])
    expect(t.stderr).toBe('')
    expect(t.stdout).toMatch(/^OK: user user@contoso.com can reach library "Documents" at .*\/personal\/user_contoso_com\/Documents/)
  }, 90_000)
})
