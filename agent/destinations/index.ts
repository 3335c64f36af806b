/**
 * Picks the destination for a task by its URL: `file:///DIR` folders, or SharePoint sites over https.
 */
import { fileURLToPath } from 'node:url'
import type { Destination as TaskDestination } from '../../protocol/records.ts'
import type { Destination } from '../engine/destination.ts'
import { DestinationError } from '../engine/destination.ts'
import { createFileDestination } from './file.ts'
import type { Throttle } from '../throttle/token-bucket.ts'

export interface DestinationFactoryDeps {
  /** Builds a SharePoint destination (credentials, limiter and fleet backoff are bound by the agent). */
  sharePoint?: (dest: TaskDestination) => Destination
  /**
   * This agent's identity (its agent id) for `file://` temporary files: their cleanup deletes only this
   * agent's leftovers (file-pool.ts TempNames). Without it, only this process's own.
   */
  tempTag?: string
  /** the agent's bandwidth limit, shared with its SharePoint uploads (agent/throttle/token-bucket.ts) */
  throttle?: Throttle
}

/** What the factory may know of the task a destination is opened for. */
export interface DestinationContext {
  /** `file://`: leftovers of this task by a previous holder are deleted too (file-pool.ts TempNames). */
  taskId?: string
}

export function createDestinationFactory(deps: DestinationFactoryDeps) {
  return (dest: TaskDestination, ctx: DestinationContext = {}): Destination => {
    if (dest.url.startsWith('file://')) {
      return createFileDestination({ rootDir: fileURLToPath(dest.url), library: dest.library, folder: dest.folder, tempTag: deps.tempTag, taskId: ctx.taskId, ...(deps.throttle ? { throttle: deps.throttle } : {}) })
    }
    if (!deps.sharePoint) throw new DestinationError('SharePoint destinations are not available on this agent: run mmesh auth set', 'task', 'NO_CREDENTIALS', false)
    return deps.sharePoint(dest)
  }
}
