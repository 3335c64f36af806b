/**
 * `mmesh usermap …` on any node: the fleet's user mapping, imported whole (all or nothing, every bad row
 * named by its line) as one signed `usermap.set` command, listed, and checked against a task: which
 * source owners and permission principals its last scan met (recorded in the round's outcome,
 * engine/pass.ts) the map does not resolve — Migration Manager's identity dry run, before anything is migrated.
 */
import type { Ledger, RecordSigner } from '../../protocol/ledger.ts'
import { roundOutcome } from '../../protocol/status.ts'
import { foldUserMap, parseUserMapCsv, toUserMapValue, unresolvedPrincipals, userLookup, USERMAP_TARGET, type FleetUserMap } from '../../protocol/usermap.ts'
import type { TaskView } from '../../protocol/views.ts'
import type { OutcomeRecord } from '../../protocol/records.ts'
import type { UsermapCheckReply } from '../../api/replies.ts'

export class UserMapError extends Error {
  override name = 'UserMapError'
}

export interface UserMapServiceDeps {
  ledger: Pick<Ledger, 'commandsFor' | 'addCommand' | 'outcomesFor'>
  signer: RecordSigner
  nextHlc(): string
  /** the task by id or unique prefix (throws the task service's one-line refusal) */
  task(id: string): TaskView
}

export function createUserMapService(deps: UserMapServiceDeps) {
  const current = (): FleetUserMap => foldUserMap(deps.ledger.commandsFor(USERMAP_TARGET))

  return {
    list: current,

    /** All or nothing: the whole file replaces the fleet's map, or nothing changes and every bad row is named. */
    import(fileName: string, content: Uint8Array): { rows: number; replaced: number } {
      let text: string
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(content)
      } catch {
        throw new UserMapError(`${fileName}: not UTF-8 text; save the user-mapping file as CSV UTF-8`)
      }
      const parsed = parseUserMapCsv(fileName, text)
      if (!parsed.ok) throw new UserMapError(parsed.errors.join('\n'))
      const replaced = current().rows.length
      deps.ledger.addCommand(deps.signer, { kind: 'usermap.set', target: USERMAP_TARGET, hlc: deps.nextHlc(), value: toUserMapValue(parsed.rows) })
      return { rows: parsed.rows.length, replaced }
    },

    check(id: string): UsermapCheckReply {
      const view = deps.task(id)
      // The current round's scan, else the latest earlier one (a rerun not yet scanned)
      const outcomes = deps.ledger.outcomesFor(view.id)
      let outcome: OutcomeRecord | undefined
      for (let r = view.round; r >= 0 && !outcome?.owners; r--) outcome = roundOutcome(outcomes, r)
      if (!outcome?.owners) {
        throw new UserMapError(`task ${view.id} has no finished scan yet: run it (a scan-only task is enough: mmesh task add --scan-only), then check again`)
      }
      const map = current()
      // principals absent: that scan did not read permissions (the setting was off, or an older agent)
      const principals = outcome.principals ?? []
      return {
        taskId: view.id,
        round: outcome.round,
        scannedBy: outcome.agent,
        scannedAt: outcome.finishedAt,
        owners: outcome.owners.length,
        ownersTruncated: outcome.ownersTruncated === true,
        permissionsRead: outcome.principals !== undefined,
        principals: principals.length,
        principalsTruncated: outcome.principalsTruncated === true,
        mapRows: map.rows.length,
        unresolved: unresolvedPrincipals(userLookup(map.rows), outcome.owners, principals),
      }
    },
  }
}

export type UserMapService = ReturnType<typeof createUserMapService>
