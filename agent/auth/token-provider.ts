/**
 * Access tokens for SharePoint through @azure/msal-node: app-only with a certificate
 * (ConfidentialClientApplication, scope `https://HOST/.default`), and the shared TokenProvider shape the
 * destination uses (device-code sign-in implements it too). Failures become AuthError with a plain
 * sentence: wrong tenant, unknown app, certificate not accepted, authority unreachable.
 */
import { ConfidentialClientApplication, LogLevel, type Configuration } from '@azure/msal-node'
import type { Credentials } from './credentials.ts'

export interface TokenProvider {
  readonly kind: 'app' | 'delegated'
  /** What SharePoint shows in a login name for this principal (client id or UPN): spots files this app wrote. */
  readonly principalHint: string
  /**
   * A bearer token for `resource` (an origin such as https://contoso.sharepoint.com). After a 401, pass
   * `forceRefresh` and the token that was refused: concurrent callers then share one renewal.
   */
  getToken(resource: string, options?: { forceRefresh?: boolean; rejected?: string }): Promise<string>
}

export type AuthErrorCode =
  | 'wrong-tenant' | 'unknown-app' | 'certificate-rejected' | 'certificate-expired' | 'authority-unreachable'
  | 'sign-in-required' | 'refused'

export class AuthError extends Error {
  override name = 'AuthError'
  constructor(readonly code: AuthErrorCode, message: string, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message, options)
  }
}

const MICROSOFT_AUTHORITIES = new Set([
  'login.microsoftonline.com', 'login.microsoft.com', 'login.windows.net', 'sts.windows.net', 'login.microsoftonline.us',
  'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn', 'login.microsoftonline.de',
])

/** MSAL validates authorities against Microsoft's list; other hosts (sovereign proxies, the emulator) must be listed. */
export function msalAuthorityOptions(authority: string, tenantId: string): { authority: string; knownAuthorities?: string[] } {
  const u = new URL(authority)
  const out: { authority: string; knownAuthorities?: string[] } = { authority: `${u.origin}/${tenantId}` }
  if (!MICROSOFT_AUTHORITIES.has(u.hostname.toLowerCase())) out.knownAuthorities = [u.host]
  return out
}

export function msalLogger(log?: (msg: string) => void): NonNullable<Configuration['system']>['loggerOptions'] {
  return {
    logLevel: LogLevel.Error,
    piiLoggingEnabled: false,
    loggerCallback: (_level, message) => log?.(message),
  }
}

/** Turns an MSAL failure into one plain sentence naming the likely cause and the fix. */
export function describeMsalError(err: unknown, ctx: { tenantId: string; clientId: string; authority: string }): AuthError {
  const e = err as { errorCode?: string; errorMessage?: string; message?: string }
  const text = `${e.errorCode ?? ''} ${e.errorMessage ?? e.message ?? String(err)}`
  const aadsts = /AADSTS(\d+)/.exec(text)?.[1]
  if (aadsts === '90002' || aadsts === '900023' || /invalid_tenant/.test(text) || /endpoints_resolution_error|openid_config_error/.test(text)) {
    if (/fetch failed|ECONNREFUSED|ENOTFOUND|network/i.test(text) && !aadsts) {
      return new AuthError('authority-unreachable', `cannot reach the sign-in service ${ctx.authority}: check the network, proxy and --authority`, true, { cause: err })
    }
    return new AuthError('wrong-tenant', `tenant ${ctx.tenantId} was not found at ${ctx.authority}: check the tenant id (Directory ID of the app registration) and --authority`, false, { cause: err })
  }
  if (aadsts === '700016' || /unauthorized_client/.test(text)) {
    return new AuthError('unknown-app', `app ${ctx.clientId} is not registered in tenant ${ctx.tenantId}: check the client id, or the tenant the app belongs to`, false, { cause: err })
  }
  if (/expired/i.test(text) && (aadsts === '700027' || aadsts === '700024')) {
    return new AuthError('certificate-expired', `the sign-in service says the app certificate has expired: make a new certificate, upload it to app ${ctx.clientId} and run mmesh auth set again`, false, { cause: err })
  }
  if (aadsts === '700027' || aadsts === '700023' || aadsts === '700021' || aadsts === '50027' || /invalid_client/.test(text)) {
    return new AuthError('certificate-rejected', `the sign-in service refused the app certificate for app ${ctx.clientId}: upload this certificate (see its thumbprint with mmesh auth test) to the app registration's Certificates`, false, { cause: err })
  }
  if (/fetch failed|ECONN|ETIMEDOUT|ENOTFOUND|network|timeout/i.test(text)) {
    return new AuthError('authority-unreachable', `cannot reach the sign-in service ${ctx.authority}: check the network, proxy and --authority`, true, { cause: err })
  }
  return new AuthError('refused', `sign-in failed for app ${ctx.clientId} in tenant ${ctx.tenantId}: ${(e.errorMessage ?? e.message ?? String(err)).split('\n')[0]}`, false, { cause: err })
}

interface Cached {
  token: string
  expiresOn: number
}

/**
 * Dedupes concurrent requests for one resource and refreshes a few minutes before expiry, so a burst of
 * uploads costs one token request; `forceRefresh` (after a 401) bypasses every cache.
 */
export function cachingProvider(
  kind: TokenProvider['kind'],
  principalHint: string,
  fetchToken: (resource: string, skipCache: boolean) => Promise<Cached>,
): TokenProvider {
  const cache = new Map<string, Cached>()
  const pending = new Map<string, Promise<Cached>>()
  return {
    kind,
    principalHint,
    async getToken(resource, options) {
      const origin = new URL(resource).origin.toLowerCase()
      const c = cache.get(origin)
      const force = !!options?.forceRefresh && (options.rejected === undefined || c?.token === options.rejected)
      if (!force && c && c.expiresOn - Date.now() > 120_000) return c.token
      let p = pending.get(origin)
      if (!p) {
        p = fetchToken(origin, force).finally(() => pending.delete(origin))
        pending.set(origin, p)
      }
      const got = await p
      cache.set(origin, got)
      return got.token
    },
  }
}

export function createCertificateTokenProvider(creds: Credentials, options: { log?: (msg: string) => void } = {}): TokenProvider {
  const cca = new ConfidentialClientApplication({
    auth: {
      clientId: creds.clientId,
      ...msalAuthorityOptions(creds.authority, creds.tenantId),
      clientCertificate: { thumbprintSha256: creds.thumbprintSha256, privateKey: creds.privateKeyPem },
    },
    system: { loggerOptions: msalLogger(options.log) },
  })
  return cachingProvider('app', creds.clientId, async (origin, skipCache) => {
    if (creds.notAfter.getTime() < Date.now()) {
      throw new AuthError('certificate-expired', `the app certificate (${creds.certFile}) expired on ${creds.notAfter.toISOString()}: make a new one, upload it to app ${creds.clientId} and run mmesh auth set again`, false)
    }
    try {
      const r = await cca.acquireTokenByClientCredential({ scopes: [`${origin}/.default`], skipCache })
      if (!r?.accessToken) throw new Error('no access token in the answer')
      // SharePoint's origin uses the host as given; MSAL lowercases nothing, so the cache key is the origin
      return { token: r.accessToken, expiresOn: r.expiresOn?.getTime() ?? Date.now() + 300_000 }
    } catch (e) {
      throw describeMsalError(e, creds)
    }
  })
}
