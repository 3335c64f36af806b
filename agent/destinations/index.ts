/**
 * Picks the destination for a task by its URL: `file:///DIR` folders, or SharePoint sites over https.
 */
import { fileURLToPath } from 'node:url'
import type { Destination as TaskDestination } from '../../protocol/records.ts'
import type { Destination } from '../engine/destination.ts'
import { DestinationError } from '../engine/destination.ts'
import { createFileDestination } from './file.ts'

export interface DestinationFactoryDeps {
  /** Builds a SharePoint destination (credentials, limiter and fleet backoff are bound by the agent). */
  sharePoint?: (dest: TaskDestination) => Destination
}

export function createDestinationFactory(deps: DestinationFactoryDeps) {
  return (dest: TaskDestination): Destination => {
    if (dest.url.startsWith('file://')) {
      return createFileDestination({ rootDir: fileURLToPath(dest.url), library: dest.library, folder: dest.folder })
    }
    if (!deps.sharePoint) throw new DestinationError('SharePoint destinations are not available on this agent: run mmesh auth set', 'task', 'NO_CREDENTIALS', false)
    return deps.sharePoint(dest)
  }
}
