/**
 * What an agent needs to open SharePoint destinations for its tasks: one token provider (from its data
 * dir), one pacer (the per-agent cap on requests in flight, fleet backoff in and throttle notices out)
 * and the user mapping, shared by every task. The agent's own factory wraps `open` with presence.
 */
import { createDataDirTokenProvider } from '../../auth/index.ts'
import type { TokenProvider } from '../../auth/token-provider.ts'
import { readCredentialOverrides, type CredentialOverrides } from '../../config/env.ts'
import type { Destination } from '../../engine/destination.ts'
import { createSharePointDestination, type SharePointLogger } from './index.ts'
import { createPacer, type Pacer } from './pacing.ts'
import type { UserMapping } from './user-mapping.ts'
import type { Throttle } from '../../throttle/token-bucket.ts'

export interface SharePointOpenerOptions {
  dataDir: string
  version: string
  /** credentials from the environment (default: config/env.ts reads them) */
  env?: CredentialOverrides
  /** requests in flight for the whole agent (default 16) */
  maxInFlight?: number
  /** ms epoch until which the fleet asked to hold (from presence) */
  fleetBackoff?: () => number
  /** this agent was told to wait until untilMs (publish it in presence) */
  onThrottle?: (untilMs: number) => void
  /** this agent's share of the tenant's request budget, per minute (0: none) */
  requestsPerMinute?: () => number
  userMapping?: UserMapping | null
  quickXorHash?: (localPath: string, signal: AbortSignal) => Promise<string>
  chunkSize?: number
  /** the agent's bandwidth limit (agent/throttle/token-bucket.ts) */
  throttle?: Throttle
  logger?: SharePointLogger
  /** for tests: a ready token provider instead of the data dir's */
  tokenProvider?: TokenProvider
}

export interface TaskDestinationSpec {
  url: string
  library: string | null
  folder: string | null
}

export function createSharePointOpener(o: SharePointOpenerOptions): {
  /** a task's destination; `userMapping` overrides the agent-wide one (a task's UserMappingFile) */
  open(dest: TaskDestinationSpec, extra?: { userMapping?: UserMapping | null }): Destination
  pacer: Pacer
  tokens: TokenProvider
} {
  const tokens = o.tokenProvider ?? createDataDirTokenProvider(o.dataDir, o.env ?? readCredentialOverrides(), { log: (m) => o.logger?.debug({ msal: m }, 'msal') })
  const pacer = createPacer({ maxInFlight: o.maxInFlight ?? 16, fleetBackoff: o.fleetBackoff, onThrottle: o.onThrottle, requestsPerMinute: o.requestsPerMinute })
  return {
    pacer,
    tokens,
    open(dest, extra) {
      return createSharePointDestination({
        siteUrl: dest.url, library: dest.library, folder: dest.folder, tokenProvider: tokens, pacer, version: o.version,
        userMapping: extra?.userMapping !== undefined ? extra.userMapping : o.userMapping ?? null, quickXorHash: o.quickXorHash, chunkSize: o.chunkSize, logger: o.logger, ...(o.throttle ? { throttle: o.throttle } : {}),
      })
    },
  }
}
