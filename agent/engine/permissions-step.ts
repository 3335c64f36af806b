/**
 * The engine's part of "Preserve file share permissions" (PreserveUserPermissionsForFileShare): for each
 * folder (and each file with FilePermissions) compare the source item's explicit permissions with its
 * parent's; equal → it keeps inheriting (and one that had its own at the destination inherits again),
 * different → it gets its own, mapped to SharePoint roles. Answers the words the item report adds and
 * the grants the item's children compare with. Unmapped principals, deny and special entries are
 * warnings on the item, which still migrates. SharePoint allows 50,000 items with their own permissions
 * per library and slows down well before: past 5,000 in a task every further one is a warning (also in a
 * scan-only round), past 50,000 an item keeps inheriting.
 */
import { DestinationError, type Destination } from './destination.ts'
import { describeGrant, describeGrants, sameGrants, UNMAPPED_MARKER, type Grant } from '../../protocol/permissions.ts'
import type { PermissionReader } from './permission-reader.ts'
import { asTaskScope } from './task-scope.ts'

export const UNIQUE_WARN_AT = 5_000
export const UNIQUE_LIMIT = 50_000

export interface PermissionStepResult {
  /** the source grants this item's children compare with */
  grants: Grant[]
  /** words for the item report ('' when there is nothing to say) */
  note: string
  warning: boolean
}

export interface PermissionStep {
  /**
   * One item. `parent`: the grants of its parent; `isNew`: it was made at the destination this round (so
   * it inherits already); `apply`: false in a scan-only round (read and report only).
   */
  item(localPath: string, destRel: string, isFolder: boolean, parent: readonly Grant[], isNew: boolean): Promise<PermissionStepResult>
}

/** `met`: told each item's grants as read (its principals go into the round's outcome, for `usermap check`). */
export function createPermissionStep(deps: { reader: PermissionReader; destination: Destination; signal: AbortSignal; apply: boolean; warn: (obj: object, msg: string) => void; met?: (grants: readonly Grant[]) => void }): PermissionStep {
  let uniqueItems = 0
  const { destination } = deps
  const join = (...parts: string[]) => parts.filter((p) => p !== '').join('; ')

  return {
    async item(localPath, destRel, isFolder, parent, isNew) {
      let own
      try {
        own = await deps.reader.read(localPath)
      } catch (err) {
        return { grants: [...parent], note: `permissions could not be read (${(err as Error).message}); it inherits its parent's`, warning: true }
      }
      deps.met?.(own.grants)
      const notCarried = own.notCarried.length ? `not carried: ${own.notCarried.join(', ')}` : ''
      const warned = notCarried !== ''
      if (sameGrants(own.grants, parent)) {
        // a new item inherits already; one that was there may have had its own before this round
        if (isNew || !deps.apply || !destination.applyPermissions) return { grants: own.grants, note: notCarried, warning: warned }
        const r = await guarded(() => destination.applyPermissions!(destRel, isFolder, null, deps.signal))
        if ('failed' in r) return { grants: own.grants, note: join(`permissions not reset: ${r.failed}`, notCarried), warning: true }
        return { grants: own.grants, note: join(r.change === 'reset' ? 'inherits its parent\'s permissions again' : '', notCarried), warning: warned }
      }
      uniqueItems++
      if (uniqueItems > UNIQUE_LIMIT) {
        return { grants: [...parent], note: join(`not given its own permissions: more than ${UNIQUE_LIMIT} items with their own permissions in this task (SharePoint's limit per library); it inherits its parent's`, notCarried), warning: true }
      }
      const many = uniqueItems > UNIQUE_WARN_AT ? `more than ${UNIQUE_WARN_AT} items with their own permissions in this task: SharePoint slows down past that and allows ${UNIQUE_LIMIT} per library` : ''
      if (uniqueItems === UNIQUE_WARN_AT + 1) deps.warn({ uniqueItems }, many)
      const listed = describeGrants(own.grants) || 'none (only the owner, owning group and others)'
      if (!deps.apply) return { grants: own.grants, note: join(`own permissions at the source: ${listed}`, many, notCarried), warning: warned || many !== '' }
      if (!destination.applyPermissions) {
        return { grants: own.grants, note: join(`own permissions, recorded and not applied (${destination.kind}:// destination): ${listed}`, many, notCarried), warning: warned || many !== '' }
      }
      const r = await guarded(() => destination.applyPermissions!(destRel, isFolder, own.grants, deps.signal))
      if ('failed' in r) return { grants: [...parent], note: join(`permissions not set: ${r.failed}`, notCarried), warning: true }
      if (r.note) return { grants: [...parent], note: join(r.note, notCarried), warning: true }
      const granted = r.granted.map((g) => `${describeGrant(g.grant).replace(/ \(/, ` → ${g.to} (`)}`).join(', ')
      const unmapped = r.unmapped.length ? `${UNMAPPED_MARKER}${r.unmapped.map((u) => describeGrant(u.grant)).join(', ')} (${[...new Set(r.unmapped.map((u) => u.why))].join(', ')})` : ''
      return {
        grants: own.grants,
        note: join(`own permissions: ${granted || 'none granted'}`, unmapped, many, notCarried),
        warning: warned || unmapped !== '' || many !== '',
      }
    },
  }
}

/** An item-scope failure is the item's note; one that hits every item stops the pass. */
async function guarded<T>(fn: () => Promise<T>): Promise<T | { failed: string }> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof DestinationError && err.scope === 'item') return { failed: err.message }
    throw asTaskScope(err, 'setting permissions')
  }
}
