/** What the agent needs from node/auth: one TokenProvider per agent, from app credentials or a delegated sign-in. */
import { loadCredentials, type Credentials } from './credentials.ts'
import { createDelegatedTokenProvider, loadDelegatedConfig } from './device-code.ts'
import { createCertificateTokenProvider, type TokenProvider } from './token-provider.ts'

export * from './credentials.ts'
export * from './token-provider.ts'
export { deviceCodeLogin, loadDelegatedConfig, createDelegatedTokenProvider, type DelegatedConfig, type LoginOptions } from './device-code.ts'

/**
 * App-only credentials (auth.json or MMESH_* variables) win; else a device-code sign-in; else null.
 * Throws CredentialsError when what is configured is unusable (expired certificate, missing file).
 */
export async function loadTokenProvider(
  dataDir: string, env: NodeJS.ProcessEnv = process.env, options: { log?: (m: string) => void } = {},
): Promise<{ provider: TokenProvider; credentials: Credentials | null } | null> {
  const creds = await loadCredentials(dataDir, env)
  if (creds) return { provider: createCertificateTokenProvider(creds, options), credentials: creds }
  const delegated = await loadDelegatedConfig(dataDir)
  if (delegated) return { provider: createDelegatedTokenProvider(dataDir, delegated, options), credentials: null }
  return null
}
