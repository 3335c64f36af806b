/**
 * SharePoint destinations for this agent: credentials from its data dir (never the ledger), one token
 * provider and one request pacer shared by every task, the user mapping (the fleet's, under this
 * agent's DIR/user-mapping.csv) and the fleet-wide backoff: SharePoint throttles per
 * app per tenant, so an agent told to wait publishes `backoffUntil` (and the wait it was told,
 * `backoffForMs`) in its heartbeat and every agent eases off until then, within the caps of
 * fleet-backoff.ts.
 */
import type { Logger } from 'pino'
import type { Destination as TaskDestination } from '../../protocol/records.ts'
import type { Destination } from '../engine/destination.ts'
import type { Presence } from '../presence/presence.ts'
import { createSharePointOpener } from './sharepoint/opener.ts'
import { createFleetBackoff } from './fleet-backoff.ts'
import type { UserMapping } from './sharepoint/user-mapping.ts'
import { emailDestination } from './sharepoint/onedrive-email.ts'
import { isEmailDestination } from '../../protocol/task-paths.ts'
import type { Throttle } from '../throttle/token-bucket.ts'

export interface SharePointFactoryDeps {
  dataDir: string
  logger: Logger
  presence: Presence
  version: string
  /** the fleet's user map under this agent's override (agent/usermap/user-map-source.ts), read per task opened */
  userMapping(): UserMapping | null
  /** the global setting SharePointRootUrl: where a destination given as an e-mail is looked up */
  sharePointRootUrl(): string | null
  /** this agent's share of the fleet's request budget for its tenant, per minute (0: none; tenant-budget.ts) */
  requestsPerMinute?: () => number
  /** the agent's bandwidth limit, shared with its file:// copies */
  throttle?: Throttle
}

export function createSharePointFactory(deps: SharePointFactoryDeps) {
  const { presence, logger } = deps
  let opener: ReturnType<typeof createSharePointOpener> | null = null
  let clearTimer: NodeJS.Timeout | null = null
  let ownUntil = 0
  const peerBackoff = createFleetBackoff()

  const fleetBackoff = (): number => {
    let until = ownUntil
    for (const [id, p] of presence.peers()) {
      if (!presence.isOnline(id)) continue
      const ms = peerBackoff.peerUntil(id, p.message.fields)
      if (ms > until) until = ms
    }
    return until
  }

  const onThrottle = (untilMs: number): void => {
    if (untilMs <= ownUntil) return
    ownUntil = untilMs
    presence.setField('backoffUntil', new Date(untilMs).toISOString())
    presence.setField('backoffForMs', Math.max(0, untilMs - Date.now()))
    if (clearTimer) clearTimeout(clearTimer)
    clearTimer = setTimeout(() => {
      presence.setField('backoffUntil', undefined)
      presence.setField('backoffForMs', undefined)
    }, Math.max(0, untilMs - Date.now()) + 100)
    clearTimer.unref()
  }

  return {
    open(dest: TaskDestination): Destination {
      // Built on first use: an agent without credentials never needs a token provider.
      opener ??= createSharePointOpener({
        dataDir: deps.dataDir,
        version: deps.version,
        fleetBackoff,
        onThrottle,
        ...(deps.requestsPerMinute ? { requestsPerMinute: deps.requestsPerMinute } : {}),
        // no quickXorHash override: the destination hashes the bytes it read and sends (one read per file)
        logger,
        ...(deps.throttle ? { throttle: deps.throttle } : {}),
      })
      const o = opener
      const userMapping = deps.userMapping()
      if (isEmailDestination(dest.url)) {
        const library = dest.library ?? 'Documents'
        return emailDestination(dest.url, library, dest.folder, () => ({ rootUrl: deps.sharePointRootUrl(), tokens: o.tokens }), (url) => o.open({ url, library, folder: dest.folder }, { userMapping }))
      }
      return o.open({ url: dest.url, library: dest.library, folder: dest.folder }, { userMapping })
    },
    stop(): void {
      if (clearTimer) clearTimeout(clearTimer)
    },
  }
}
