/**
 * `mmesh auth set|test|login`: this agent's own SharePoint credentials. They work without a running
 * agent (files in the data dir, checks against the destination), and never touch the ledger.
 */
import type { Command } from 'commander'
import { resolveDataDir } from '../api/data-dir.ts'
import { CredentialsError, saveCredentials } from '../agent/auth/credentials.ts'
import { deviceCodeLogin } from '../agent/auth/device-code.ts'
import { loadTokenProvider } from '../agent/auth/index.ts'
import { AuthError } from '../agent/auth/token-provider.ts'
import { createSharePointDestination } from '../agent/destinations/sharepoint/index.ts'
import { DestinationError } from '../agent/engine/destination.ts'
import { CliError, EXIT } from '../api/errors.ts'
import { packageVersion } from '../api/package-info.ts'

const out = (line: string) => process.stdout.write(`${line}\n`)

export function mmeshVersion(): string {
  return packageVersion()
}

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

export function registerAuthCommands(program: Command): void {
  const auth = program.command('auth').description("this agent's credentials for SharePoint (kept in the data dir, never in the ledger)")

  auth
    .command('set')
    .description('store app-only credentials: tenant id, client id and a certificate with its private key')
    .option('--data <dir>', 'data dir (default $MMESH_DATA, else ~/.mmesh)')
    .requiredOption('--tenant <id>', 'Directory (tenant) ID of the app registration')
    .requiredOption('--client-id <id>', 'Application (client) ID')
    .requiredOption('--cert <file>', 'PEM file with the certificate and its private key')
    .option('--authority <url>', 'sign-in service (default https://login.microsoftonline.com)')
    .action(async (o: { data?: string; tenant: string; clientId: string; cert: string; authority?: string }) => {
      const dir = resolveDataDir(o.data)
      try {
        const s = await saveCredentials(dir, { tenantId: o.tenant, clientId: o.clientId, certFile: o.cert, authority: o.authority })
        out(`credentials saved in ${dir}/auth.json: tenant ${s.tenantId}, app ${s.clientId}, certificate SHA-1 ${s.thumbprintSha1}, valid until ${s.notAfter}`)
      } catch (e) {
        throw plain(e)
      }
    })

  auth
    .command('test')
    .description('check the credentials against a destination and say what is wrong')
    .option('--data <dir>', 'data dir (default $MMESH_DATA, else ~/.mmesh)')
    .requiredOption('--dest <url>', 'site or OneDrive URL, e.g. https://contoso.sharepoint.com/sites/finance')
    .option('--library <name>', 'library title as shown in Site contents', 'Documents')
    .action(async (o: { data?: string; dest: string; library: string }) => {
      const dir = resolveDataDir(o.data)
      const siteUrl = siteUrlOf(o.dest)
      try {
        const loaded = await loadTokenProvider(dir)
        if (!loaded) throw new CliError(`no credentials in ${dir}: run mmesh auth set --data ${dir} --tenant … --client-id … --cert FILE (or mmesh auth login)`)
        const dest = createSharePointDestination({ siteUrl, library: o.library, tokenProvider: loaded.provider, version: mmeshVersion(), maxThrottleWaitMs: 60_000, putAttempts: 1 })
        await dest.open(AbortSignal.timeout(90_000))
        const who = loaded.credentials ? `app ${loaded.credentials.clientId}` : `user ${loaded.provider.principalHint}`
        out(`OK: ${who} can reach library "${o.library}" at ${dest.displayPath('')}`)
      } catch (e) {
        if (e instanceof Error && e.name === 'TimeoutError') throw new CliError(`no answer from ${siteUrl} within 90 s: check the network and proxy`)
        throw plain(e)
      }
    })

  auth
    .command('login')
    .description('sign in with a device code (delegated access with your organisation\'s public-client app)')
    .option('--data <dir>', 'data dir (default $MMESH_DATA, else ~/.mmesh)')
    .requiredOption('--tenant <id>', 'Directory (tenant) ID')
    .requiredOption('--client-id <id>', 'Application (client) ID of a public-client app registration')
    .option('--authority <url>', 'sign-in service (default https://login.microsoftonline.com)')
    .option('--dest <url>', 'a SharePoint URL to consent for now')
    .option('--timeout <seconds>', 'give up waiting for the sign-in after this long', '900')
    .action(async (o: { data?: string; tenant: string; clientId: string; authority?: string; dest?: string; timeout: string }) => {
      const dir = resolveDataDir(o.data)
      try {
        const { mkdir } = await import('node:fs/promises')
        await mkdir(dir, { recursive: true, mode: 0o700 })
        const cfg = await deviceCodeLogin(dir, {
          tenantId: o.tenant, clientId: o.clientId, authority: o.authority, resource: o.dest ? siteUrlOf(o.dest) : undefined,
          timeoutSec: Number(o.timeout) || 900,
          onMessage: (m) => process.stderr.write(`${m}\n`),
        })
        out(`signed in as ${cfg.username}; tokens cached in ${dir}/auth-token-cache.json`)
      } catch (e) {
        throw plain(e)
      }
    })
}
