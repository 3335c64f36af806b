/**
 * `mmesh task edit`: a task's settings, name, group, start time and tags changed after it was added.
 * The spec is signed by its creator and never rewritten (one writer per key); an edit is a signed
 * `task.edit` command whose value holds only what changes, and every replica applies the edits, folded in
 * clock order (protocol/intent.ts), over the spec. Source and destination are not editable: they are the
 * task's identity (the duplicate check, the item results of earlier rounds).
 */
import type { TaskSpec } from './records.ts'
import type { SettingsOverride } from './settings.ts'
import { checkTags } from './tags.ts'
import { checkLabel } from './task-paths.ts'
import { checkStartAt, parseSettingsRecord } from './task-input.ts'

/** What one `task.edit` command changes; a field left out stays as it was. */
export interface TaskEdit {
  name?: string
  group?: string
  /** a new start time; null: at once (Run later removed) */
  startAt?: string | null
  /** setting overrides given; merged over the task's own unless `resetSettings` */
  settings?: SettingsOverride
  /** drop the task's own overrides first (back to the global defaults), then apply `settings` */
  resetSettings?: true
  /** the whole tag set (replaces it, as the tags CSV does) */
  tags?: string[]
}

/** The edits folded so far: what the spec's fields are replaced with (tags are folded with task.tags). */
export interface FoldedEdit {
  name?: string
  group?: string
  startAt?: string | null
  /** the task's overrides when reset, else merged over the spec's */
  settings?: SettingsOverride
  settingsReset?: boolean
}

/** What an admin gives: the `task edit` flags, as the control API carries them. */
export interface TaskEditInput {
  name?: string | null
  group?: string | null
  /** ISO 8601 with a zone, or `now` to start at once */
  startAt?: string | null
  /** setting keys (Migration Manager's names or the CLI aliases) to values as typed */
  settings?: Record<string, unknown> | null
  resetSettings?: boolean
  /** the new tag set; [] (or clearTags) removes every tag */
  tags?: unknown
  clearTags?: boolean
}

export type EditCheck = { ok: true; edit: TaskEdit; warnings: string[] } | { ok: false; error: string }

const given = (v: string | null | undefined): v is string => typeof v === 'string' && v.trim() !== ''

/** Checks an edit as an admin gives it: every problem in one line; nothing to change is a problem too. */
export function validateTaskEdit(input: TaskEditInput): EditCheck {
  const problems: string[] = []
  const warnings: string[] = []
  const edit: TaskEdit = {}
  if (input.name !== undefined && input.name !== null) {
    const r = checkLabel('name', input.name)
    if (r.ok) edit.name = r.value
    else problems.push(r.error)
  }
  if (input.group !== undefined && input.group !== null) {
    const r = checkLabel('group', input.group)
    if (r.ok) edit.group = r.value
    else problems.push(r.error)
  }
  if (given(input.startAt)) {
    if (input.startAt.trim().toLowerCase() === 'now') edit.startAt = null
    else {
      const r = checkStartAt(input.startAt)
      if (r.ok) edit.startAt = r.value
      else problems.push(`${r.error} (or now, to start it at once)`)
    }
  } else if (typeof input.startAt === 'string') problems.push('start-at: empty; give an ISO 8601 time with a zone, or now')
  if (input.settings !== undefined && input.settings !== null) {
    const r = parseSettingsRecord(input.settings)
    if (r.ok) {
      if (Object.keys(r.value).length > 0) edit.settings = r.value
      warnings.push(...r.warnings)
    } else problems.push(r.error)
  }
  if (input.resetSettings === true) edit.resetSettings = true
  if (input.clearTags === true) {
    if (input.tags !== undefined && input.tags !== null && !(Array.isArray(input.tags) && input.tags.length === 0)) problems.push('tags: --no-tags removes every tag and --tag sets them: give one or the other')
    else edit.tags = []
  } else if (input.tags !== undefined && input.tags !== null) {
    const r = checkTags(input.tags)
    if (r.ok) edit.tags = r.value
    else problems.push(r.error)
  }
  if (problems.length > 0) return { ok: false, error: problems.join('; ') }
  if (Object.keys(edit).length === 0) return { ok: false, error: 'task edit: nothing to change; give a setting flag, --reset-settings, --name, --group, --start-at, --tag or --no-tags' }
  return { ok: true, edit, warnings }
}

/**
 * A `task.edit` command's value as a peer wrote it, checked again by the same rules (the signature says
 * who wrote it, not that it is sane); null when any part is invalid, so the whole edit is ignored.
 */
export function readTaskEdit(value: unknown): TaskEdit | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null
  const v = value as Record<string, unknown>
  const str = (x: unknown): x is string => typeof x === 'string'
  if ((v.name !== undefined && !str(v.name)) || (v.group !== undefined && !str(v.group))) return null
  if (v.startAt !== undefined && v.startAt !== null && !str(v.startAt)) return null
  if (v.settings !== undefined && (v.settings === null || typeof v.settings !== 'object' || Array.isArray(v.settings))) return null
  if (v.resetSettings !== undefined && v.resetSettings !== true) return null
  const r = validateTaskEdit({
    name: v.name as string | undefined,
    group: v.group as string | undefined,
    startAt: v.startAt === null ? 'now' : (v.startAt as string | undefined),
    settings: v.settings as Record<string, unknown> | undefined,
    resetSettings: v.resetSettings === true,
    tags: v.tags,
  })
  return r.ok ? r.edit : null
}

/** Folds one more edit into those before it (later fields win; settings merge unless reset). */
export function foldEdit(acc: FoldedEdit | null, e: TaskEdit): FoldedEdit {
  const next: FoldedEdit = { ...acc }
  if (e.name !== undefined) next.name = e.name
  if (e.group !== undefined) next.group = e.group
  if (e.startAt !== undefined) next.startAt = e.startAt
  if (e.resetSettings) {
    next.settings = { ...e.settings }
    next.settingsReset = true
  } else if (e.settings) next.settings = { ...next.settings, ...e.settings }
  return next
}

/** The spec as edited: the same object when nothing was edited (the common case costs nothing). */
export function applyEdit(spec: TaskSpec, edit: FoldedEdit | null): TaskSpec {
  if (!edit) return spec
  const out: TaskSpec = { ...spec }
  if (edit.name !== undefined) out.name = edit.name
  if (edit.group !== undefined) out.group = edit.group
  if (edit.startAt === null) delete out.startAt
  else if (edit.startAt !== undefined) out.startAt = edit.startAt
  if (edit.settings !== undefined) out.settings = edit.settingsReset ? { ...edit.settings } : { ...spec.settings, ...edit.settings }
  return out
}

/** The names of the fields an edit changes, for the timeline and the CLI's answer. */
export function editedFields(e: TaskEdit): string[] {
  const out: string[] = []
  if (e.name !== undefined) out.push('name')
  if (e.group !== undefined) out.push('group')
  if (e.startAt !== undefined) out.push('start time')
  if (e.resetSettings || e.settings) out.push('settings')
  if (e.tags !== undefined) out.push('tags')
  return out
}
