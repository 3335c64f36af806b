/**
 * SharePoint destinations for this agent: credentials from its data dir (never the ledger), one token
 * provider and one request limiter shared by every task, and the fleet-wide backoff SharePoint asks for
 * (an agent told to wait publishes it in presence, and every agent holds back until then).
 */
import type { Logger } from 'pino'
import type { Destination as TaskDestination } from '../../protocol/records.ts'
import type { Destination } from '../engine/destination.ts'
import { DestinationError } from '../engine/destination.ts'
import type { Presence } from '../presence/presence.ts'

export interface SharePointFactoryDeps {
  dataDir: string
  logger: Logger
  presence: Presence
  version: string
}

export function createSharePointFactory(_deps: SharePointFactoryDeps) {
  return {
    open(_dest: TaskDestination): Destination {
      throw new DestinationError('SharePoint destinations are not wired on this agent yet', 'task', 'NOT_AVAILABLE', false)
    },
    stop(): void {},
  }
}
