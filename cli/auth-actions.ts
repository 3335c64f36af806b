/**
 * What `mmesh auth set|test|login` do: loaded when one of them runs (the SharePoint client, MSAL), never
 * for the other commands.
 */
import { resolveDataDir } from '../api/data-dir.ts'
import { CredentialsError, saveCredentials } from '../agent/auth/credentials.ts'
import { deviceCodeLogin } from '../agent/auth/device-code.ts'
import { loadTokenProvider } from '../agent/auth/index.ts'
import { AuthError } from '../agent/auth/token-provider.ts'
import { createSharePointDestination } from '../agent/destinations/sharepoint/index.ts'
import { DestinationError } from '../agent/engine/destination.ts'
import { CliError, EXIT } from '../api/errors.ts'
import { packageVersion } from '../api/package-info.ts'
import { safeText } from './output.ts'

const out = (line: string) => process.stdout.write(`${line}\n`)

function plain(err: unknown): CliError {
  if (err instanceof CredentialsError || err instanceof AuthError || err instanceof DestinationError) return new CliError(err.message, EXIT.badInput)
  return err instanceof CliError ? err : new CliError(err instanceof Error ? err.message : String(err), EXIT.badInput)
}

function siteUrlOf(dest: string): string {
  let u: URL
  try {
    u = new URL(dest)
  } catch {
    throw new CliError(`--dest "${dest}" is not a URL: give the site, e.g. https://contoso.sharepoint.com/sites/finance`)
  }
  if (u.protocol !== 'https:') throw new CliError(`--dest "${dest}" must be an https:// SharePoint or OneDrive URL`)
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`
}

export type AuthSetOptions = { data?: string; tenant: string; clientId: string; cert: string; authority?: string }

export async function authSet(o: AuthSetOptions): Promise<void> {
  const dir = resolveDataDir(o.data)
  try {
    const s = await saveCredentials(dir, { tenantId: o.tenant, clientId: o.clientId, certFile: o.cert, authority: o.authority })
    out(`credentials saved in ${dir}/auth.json: tenant ${s.tenantId}, app ${s.clientId}, certificate SHA-1 ${s.thumbprintSha1}, valid until ${s.notAfter}`)
  } catch (e) {
    throw plain(e)
  }
}

export type AuthTestOptions = { data?: string; dest: string; library: string }

export async function authTest(o: AuthTestOptions): Promise<void> {
  const dir = resolveDataDir(o.data)
  const siteUrl = siteUrlOf(o.dest)
  try {
    const loaded = await loadTokenProvider(dir)
    if (!loaded) throw new CliError(`no credentials in ${dir}: run mmesh auth set --data ${dir} --tenant … --client-id … --cert FILE (or mmesh auth login)`)
    const dest = createSharePointDestination({ siteUrl, library: o.library, tokenProvider: loaded.provider, version: packageVersion(), maxThrottleWaitMs: 60_000, putAttempts: 1 })
    await dest.open(AbortSignal.timeout(90_000))
    const who = loaded.credentials ? `app ${loaded.credentials.clientId}` : `user ${loaded.provider.principalHint}`
    out(`OK: ${who} can reach library "${o.library}" at ${dest.displayPath('')}`)
  } catch (e) {
    if (e instanceof Error && e.name === 'TimeoutError') throw new CliError(`no answer from ${siteUrl} within 90 s: check the network and proxy`)
    throw plain(e)
  }
}

export type AuthLoginOptions = { data?: string; tenant: string; clientId: string; authority?: string; dest?: string; timeout: string }

export async function authLogin(o: AuthLoginOptions): Promise<void> {
  const dir = resolveDataDir(o.data)
  try {
    const { mkdir } = await import('node:fs/promises')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const cfg = await deviceCodeLogin(dir, {
      tenantId: o.tenant, clientId: o.clientId, authority: o.authority, resource: o.dest ? siteUrlOf(o.dest) : undefined,
      timeoutSec: Number(o.timeout) || 900,
      // The sign-in service's own words: shown with any control characters escaped.
      onMessage: (m) => process.stderr.write(`${safeText(m)}\n`),
    })
    out(`signed in as ${cfg.username}; tokens cached in ${dir}/auth-token-cache.json`)
  } catch (e) {
    throw plain(e)
  }
}
