/**
 * Admin intent, folded. Commands (pause, resume, rerun, cancel, edit, enable, disable, settings) may come from
 * any member at once; each is its own record under a per-writer key, and every replica folds them in
 * hybrid-logical-clock order, so all replicas reach the same intent with no coin flip.
 */
import type { CommandRecord } from './records.ts'
import { checkTags } from './tags.ts'
import { applyEdit, foldEdit, readTaskEdit, type FoldedEdit } from './task-edit.ts'
import type { TaskSpec } from './records.ts'
import { DEFAULT_SETTINGS, parseSettingValue, resolveSettingKey, type Settings } from './settings.ts'

export interface TaskIntent {
  /** The round the admin wants run: 0, +1 per rerun. */
  round: number
  paused: boolean
  cancelled: boolean
  /**
   * Deleted for good: the command is the task's tombstone (its spec stays in the ledger), so an agent that
   * was cut off when it was deleted cannot bring it back; nothing after it undoes it.
   */
  deleted: boolean
  /** Hidden from the list and the fleet view, kept in reports; unarchive shows it again. */
  archived: boolean
  /** Tags set by the latest valid `task.tags` command; null: the spec's own. */
  tags: string[] | null
  /** What `task.edit` commands changed in the spec (name, group, start time, settings); null: none */
  edit: FoldedEdit | null
  /** Commands in fold order, for the timeline. */
  history: CommandRecord[]
}

/** Sort key: the HLC string sorts as the clock; the writer id breaks exact ties. */
export function byHlc(a: CommandRecord, b: CommandRecord): number {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1
  return a.by < b.by ? -1 : a.by > b.by ? 1 : 0
}

export function foldTaskIntent(commands: readonly CommandRecord[]): TaskIntent {
  const history = commands.filter((c) => c.kind.startsWith('task.')).sort(byHlc)
  let round = 0
  let paused = false
  let cancelled = false
  let deleted = false
  let archived = false
  let tags: string[] | null = null
  let edit: FoldedEdit | null = null
  for (const c of history) {
    if (deleted) break
    switch (c.kind) {
      case 'task.pause':
        if (!cancelled) paused = true
        break
      case 'task.resume':
        paused = false
        break
      case 'task.cancel':
        cancelled = true
        paused = false
        break
      case 'task.rerun':
        // A rerun starts the next round from a clean slate: it also lifts a pause or a cancel.
        round += 1
        paused = false
        cancelled = false
        break
      case 'task.delete':
        deleted = true
        break
      case 'task.archive':
        archived = true
        break
      case 'task.unarchive':
        archived = false
        break
      case 'task.tags': {
        // a peer's invalid value is ignored, as for settings
        const r = checkTags(c.value)
        if (r.ok) tags = r.value
        break
      }
      case 'task.edit': {
        // all of an edit or none of it: a peer's value that fails any check is ignored whole
        const e = readTaskEdit(c.value)
        if (!e) break
        edit = foldEdit(edit, e)
        if (e.tags !== undefined) tags = e.tags
        break
      }
      default:
        break
    }
  }
  return { round, paused, cancelled, deleted, archived, tags, edit, history }
}

/**
 * The task as its edits made it (`task edit`): what the scheduler, the engine and the views use. A task
 * never edited (no `task.edit` among its commands) is the spec itself, without a fold.
 */
export function effectiveSpec(spec: TaskSpec, commands: readonly CommandRecord[]): TaskSpec {
  if (!commands.some((c) => c.kind === 'task.edit')) return spec
  return applyEdit(spec, foldTaskIntent(commands).edit)
}

/** An agent is enabled unless the latest enable/disable command says otherwise. */
export function foldAgentEnabled(commands: readonly CommandRecord[]): boolean {
  let enabled = true
  for (const c of [...commands].sort(byHlc)) {
    if (c.kind === 'agent.enable') enabled = true
    else if (c.kind === 'agent.disable') enabled = false
  }
  return enabled
}

/** Global defaults: the latest valid `settings.set` per key wins; invalid values from a peer are ignored. */
export function foldSettings(commands: readonly CommandRecord[]): Settings {
  const out: Settings = { ...DEFAULT_SETTINGS, SkipFilesWithExtensions: [...DEFAULT_SETTINGS.SkipFilesWithExtensions] }
  for (const c of [...commands].sort(byHlc)) {
    if (c.kind !== 'settings.set') continue
    const key = resolveSettingKey(c.target)
    if (!key) continue
    const parsed = parseSettingValue(key, c.value)
    if (parsed.ok) (out as unknown as Record<string, unknown>)[key] = parsed.value
  }
  return out
}
