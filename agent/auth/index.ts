/** What the agent needs from node/auth: one TokenProvider per agent, from app credentials or a delegated sign-in. */
import { loadCredentials, type Credentials } from './credentials.ts'
import { readCredentialOverrides, type CredentialOverrides } from '../config/env.ts'
import { createDelegatedTokenProvider, loadDelegatedConfig } from './device-code.ts'
import { AuthError, createCertificateTokenProvider, type TokenProvider } from './token-provider.ts'

export * from './credentials.ts'
export * from './token-provider.ts'
export { deviceCodeLogin, loadDelegatedConfig, createDelegatedTokenProvider, type DelegatedConfig, type LoginOptions } from './device-code.ts'

/**
 * App-only credentials (auth.json or MMESH_* variables) win; else a device-code sign-in; else null.
 * Throws CredentialsError when what is configured is unusable (expired certificate, missing file).
 */
export async function loadTokenProvider(
  dataDir: string, env: CredentialOverrides = readCredentialOverrides(), options: { log?: (m: string) => void } = {},
): Promise<{ provider: TokenProvider; credentials: Credentials | null } | null> {
  const creds = await loadCredentials(dataDir, env)
  if (creds) return { provider: createCertificateTokenProvider(creds, options), credentials: creds }
  const delegated = await loadDelegatedConfig(dataDir)
  if (delegated) return { provider: createDelegatedTokenProvider(dataDir, delegated, options), credentials: null }
  return null
}

/**
 * A TokenProvider for a running agent: loads the credentials on first use and again when auth.json or
 * the delegated sign-in changes (checked at most every 10 s), so `mmesh auth set` on a running agent takes
 * effect without a restart. Failures to load surface as AuthError/CredentialsError from getToken.
 */
export function createDataDirTokenProvider(dataDir: string, env: CredentialOverrides = readCredentialOverrides(), options: { log?: (m: string) => void } = {}): TokenProvider {
  let current: { provider: TokenProvider; stamp: string } | null = null
  let checkedAt = 0
  const stampOf = async (): Promise<string> => {
    const { stat } = await import('node:fs/promises')
    const parts = await Promise.all(['auth.json', 'auth-cert.pem', 'auth-delegated.json'].map((f) =>
      stat(`${dataDir}/${f}`).then((s) => `${s.mtimeMs}:${s.size}`, () => '-')))
    return [...parts, env.tenantId, env.clientId, env.certFile, env.authority].join('|')
  }
  const load = async (): Promise<TokenProvider> => {
    if (current && Date.now() - checkedAt < 10_000) return current.provider
    const stamp = await stampOf()
    checkedAt = Date.now()
    if (current && current.stamp === stamp) return current.provider
    const loaded = await loadTokenProvider(dataDir, env, options)
    if (!loaded) throw new AuthError('sign-in-required', `no SharePoint credentials in ${dataDir}: run mmesh auth set --data ${dataDir} --tenant … --client-id … --cert FILE`, true)
    current = { provider: loaded.provider, stamp }
    return loaded.provider
  }
  return {
    get kind() {
      return current?.provider.kind ?? 'app'
    },
    get principalHint() {
      return current?.provider.principalHint ?? ''
    },
    async getToken(resource, opts) {
      return (await load()).getToken(resource, opts)
    },
  }
}
