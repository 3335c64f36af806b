/**
 * SharePoint destinations for this agent: credentials from its data dir (never the ledger), one token
 * provider and one request pacer shared by every task, the agent-wide user mapping
 * (DIR/user-mapping.csv, Migration Manager's format) and the fleet-wide backoff: SharePoint throttles per
 * app per tenant, so an agent told to wait publishes `backoffUntil` (and the wait it was told,
 * `backoffForMs`) in its heartbeat and every agent eases off until then, within the caps of
 * fleet-backoff.ts.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from 'pino'
import type { Destination as TaskDestination } from '../../protocol/records.ts'
import type { Destination } from '../engine/destination.ts'
import type { Presence } from '../presence/presence.ts'
import { createSharePointOpener } from './sharepoint/opener.ts'
import { createFleetBackoff } from './fleet-backoff.ts'
import { parseUserMapping, type UserMapping } from './sharepoint/user-mapping.ts'
import type { Throttle } from '../throttle/token-bucket.ts'

export interface SharePointFactoryDeps {
  dataDir: string
  logger: Logger
  presence: Presence
  version: string
  /** the agent's bandwidth limit, shared with its file:// copies */
  throttle?: Throttle
}

function loadMapping(dataDir: string, logger: Logger): UserMapping | null {
  const file = path.join(dataDir, 'user-mapping.csv')
  if (!fs.existsSync(file)) return null
  try {
    return parseUserMapping(fs.readFileSync(file, 'utf8'), file)
  } catch (err) {
    logger.error({ file, err: (err as Error).message }, 'user mapping file ignored')
    return null
  }
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

  // DIR/user-mapping.csv is read again when it changed (by modified time and size), so an admin who adds
  // or edits it sees it used by the next task an agent opens, without restarting the agent.
  let mapping: { key: string; value: UserMapping | null } | null = null
  const currentMapping = (): UserMapping | null => {
    let key = 'none'
    try {
      const st = fs.statSync(path.join(deps.dataDir, 'user-mapping.csv'))
      key = `${st.mtimeMs}:${st.size}`
    } catch {
      /* no mapping file */
    }
    if (mapping?.key !== key) mapping = { key, value: key === 'none' ? null : loadMapping(deps.dataDir, logger) }
    return mapping.value
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
        // no quickXorHash override: the destination hashes the bytes it read and sends (one read per file)
        logger,
        ...(deps.throttle ? { throttle: deps.throttle } : {}),
      })
      return opener.open({ url: dest.url, library: dest.library, folder: dest.folder }, { userMapping: currentMapping() })
    },
    stop(): void {
      if (clearTimer) clearTimeout(clearTimer)
    },
  }
}
