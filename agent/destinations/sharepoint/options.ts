/**
 * What a SharePoint destination is made with (index.ts `createSharePointDestination`): the site, library
 * and folder, the credentials, and the agent's shared pacer, bandwidth limit and user map, plus tuning the
 * tests turn down.
 */
import type { TokenProvider } from '../../auth/token-provider.ts'
import type { Throttle } from '../../throttle/token-bucket.ts'
import type { Pacer } from './pacing.ts'
import type { TreeLimits } from './tree.ts'
import type { UserMapping } from './user-mapping.ts'

export interface SharePointLogger {
  debug(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
}

export interface SharePointDestinationOptions {
  /** https://TENANT.sharepoint.com/sites/SITE, or a OneDrive https://TENANT-my.sharepoint.com/personal/USER */
  siteUrl: string
  /** library title as shown in Site contents (default "Documents") */
  library?: string | null
  /** folder inside the library ('' or null = the library root) */
  folder?: string | null
  tokenProvider: TokenProvider
  /** mmesh version for the user agent `ISV|mmesh|mmesh/VERSION` */
  version?: string
  /** full user agent, overriding the one built from version */
  userAgent?: string
  /** the agent's shared pacer (one per agent, all destinations); else one is made from the next three */
  pacer?: Pacer
  maxInFlight?: number
  fleetBackoff?: () => number
  onThrottle?: (untilMs: number) => void
  /** upload session chunk, a multiple of 320 KiB (default 10 MiB) */
  chunkSize?: number
  /** files up to this size go in one request (default: chunkSize) */
  smallFileLimit?: number
  userMapping?: UserMapping | null
  /** override for the QuickXorHash passed with one-request uploads (default: protocol/quickxor.ts over the bytes read) */
  quickXorHash?: (localPath: string, signal: AbortSignal) => Promise<string>
  /** the agent's bandwidth limit, shared with its file:// copies (agent/throttle/token-bucket.ts) */
  throttle?: Throttle
  /** folder listing page size (default 5000, SharePoint's list view threshold) */
  listPageSize?: number
  /** read the whole task root at the start of a pass (prefetch) instead of listing each folder (default true) */
  recursiveRead?: boolean
  /** limits of the recursive read (tree.ts) */
  treeLimits?: Partial<TreeLimits>
  /** a tree this old is read again before it answers a listing (default 10 min): a long pass must not compare with old news */
  treeMaxAgeMs?: number
  /** restarts of one file after a transient failure (default 3); a failed chunk of an upload session is resumed, not restarted */
  putAttempts?: number
  /** upload sessions one large file may use (default 2: a session SharePoint lost restarts the file once) */
  sessionAttempts?: number
  /** tries of one upload session request before the file fails (default 6) */
  chunkAttempts?: number
  maxThrottleWaitMs?: number
  requestTimeoutMs?: number
  logger?: SharePointLogger
}
