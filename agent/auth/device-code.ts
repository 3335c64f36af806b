/**
 * Delegated access for an admin who prefers signing in over an app certificate: device-code sign-in
 * through PublicClientApplication (the organisation's own app registration, a public client), with
 * MSAL's token cache kept in DATA_DIR/auth-token-cache.json (0600). Later tokens for any SharePoint host
 * come silently from the cached refresh token.
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { PublicClientApplication, type ICachePlugin, type TokenCacheContext } from '@azure/msal-node'
import { checkAuthority, checkClientId, checkTenantId, DEFAULT_AUTHORITY, CredentialsError } from './credentials.ts'
import { AuthError, cachingProvider, describeMsalError, msalAuthorityOptions, msalLogger, type TokenProvider } from './token-provider.ts'

const CACHE_FILE = 'auth-token-cache.json'
const DELEGATED_FILE = 'auth-delegated.json'

export interface DelegatedConfig {
  version: 1
  tenantId: string
  clientId: string
  authority: string
  username: string
  homeAccountId: string
}

async function writePrivate(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`
  await writeFile(tmp, data, { mode: 0o600 })
  await chmod(tmp, 0o600)
  await rename(tmp, file)
}

function cachePlugin(dataDir: string): ICachePlugin {
  const file = path.join(dataDir, CACHE_FILE)
  return {
    async beforeCacheAccess(ctx: TokenCacheContext) {
      try {
        ctx.tokenCache.deserialize(await readFile(file, 'utf8'))
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      }
    },
    async afterCacheAccess(ctx: TokenCacheContext) {
      if (ctx.cacheHasChanged) await writePrivate(file, ctx.tokenCache.serialize())
    },
  }
}

function publicClient(dataDir: string, c: { tenantId: string; clientId: string; authority: string }, log?: (m: string) => void): PublicClientApplication {
  return new PublicClientApplication({
    auth: { clientId: c.clientId, ...msalAuthorityOptions(c.authority, c.tenantId) },
    cache: { cachePlugin: cachePlugin(dataDir) },
    system: { loggerOptions: msalLogger(log) },
  })
}

export interface LoginOptions {
  tenantId: string
  clientId: string
  authority?: string
  /** a SharePoint origin to consent for now (optional: later hosts are asked for silently) */
  resource?: string
  /** shows the "open URL and enter code" message */
  onMessage: (message: string, userCode: string) => void
  timeoutSec?: number
}

export async function deviceCodeLogin(dataDir: string, o: LoginOptions): Promise<DelegatedConfig> {
  const c = { tenantId: checkTenantId(o.tenantId), clientId: checkClientId(o.clientId), authority: checkAuthority(o.authority ?? DEFAULT_AUTHORITY) }
  const pca = publicClient(dataDir, c)
  const scopes = o.resource ? [`${new URL(o.resource).origin}/.default`] : ['openid', 'profile', 'offline_access']
  let r
  try {
    r = await pca.acquireTokenByDeviceCode({
      scopes,
      timeout: o.timeoutSec ?? 900,
      deviceCodeCallback: (d) => o.onMessage(d.message, d.userCode),
    })
  } catch (e) {
    throw describeMsalError(e, c)
  }
  if (!r?.account) throw new AuthError('sign-in-required', 'sign-in finished without an account: try mmesh auth login again', false)
  const cfg: DelegatedConfig = { version: 1, ...c, username: r.account.username, homeAccountId: r.account.homeAccountId }
  await writePrivate(path.join(dataDir, DELEGATED_FILE), JSON.stringify(cfg, null, 2) + '\n')
  return cfg
}

export async function loadDelegatedConfig(dataDir: string): Promise<DelegatedConfig | null> {
  try {
    return JSON.parse(await readFile(path.join(dataDir, DELEGATED_FILE), 'utf8')) as DelegatedConfig
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new CredentialsError(`${path.join(dataDir, DELEGATED_FILE)} is damaged: run mmesh auth login again`)
  }
}

/** Tokens for the signed-in admin, from the cached refresh token. */
export function createDelegatedTokenProvider(dataDir: string, cfg: DelegatedConfig, options: { log?: (m: string) => void } = {}): TokenProvider {
  const pca = publicClient(dataDir, cfg, options.log)
  return cachingProvider('delegated', cfg.username, async (origin, skipCache) => {
    const account = (await pca.getTokenCache().getAllAccounts()).find((a) => a.homeAccountId === cfg.homeAccountId)
    if (!account) throw new AuthError('sign-in-required', `the sign-in of ${cfg.username} is no longer cached: run mmesh auth login again`, false)
    try {
      const r = await pca.acquireTokenSilent({ account, scopes: [`${origin}/.default`], forceRefresh: skipCache })
      return { token: r.accessToken, expiresOn: r.expiresOn?.getTime() ?? Date.now() + 300_000 }
    } catch (e) {
      const err = describeMsalError(e, cfg)
      if (/interaction_required|invalid_grant|no_tokens_found/i.test(String((e as { errorCode?: string }).errorCode))) {
        throw new AuthError('sign-in-required', `the sign-in of ${cfg.username} has expired: run mmesh auth login again`, false, { cause: e })
      }
      throw err
    }
  })
}
