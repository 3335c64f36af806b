/**
 * Validation of one task as an admin gives it (`task add` flags, one row of an import): every field is
 * checked before anything reaches the ledger, and every problem is reported at once, one line per field.
 */
import {
  parseSettingValue,
  resolveSettingKey,
  FLEET_ONLY_SETTING_KEYS,
  isRetiredSettingKey,
  type SettingsOverride,
} from './settings.ts'
import { checkTags } from './tags.ts'
import { checkDestinationUrl, checkFolder, checkLabel, checkLibrary, checkSource, sourceLeaf } from './task-paths.ts'

export interface TaskInput {
  source: string
  dest: string
  library?: string | null
  folder?: string | null
  name?: string | null
  group?: string | null
  settings?: Record<string, unknown>
  /** a list, or tags separated by ; (protocol/tags.ts) */
  tags?: unknown
  /** Run later: an ISO 8601 time with its zone (`2026-12-24T19:00:00+01:00`, or `Z`) */
  startAt?: string | null
}

export type TaskField = 'source' | 'dest' | 'library' | 'folder' | 'name' | 'group' | 'settings' | 'tags' | 'startAt'
export type FieldErrors = Partial<Record<TaskField, string>>

/** A task ready to become a TaskSpec (the ledger adds id, createdAt, createdBy and the schema version). */
export interface TaskDraft {
  name: string
  source: string
  destination: { url: string; library: string | null; folder: string | null }
  group: string
  settings: SettingsOverride
  /** present only when the task has tags (a spec without them signs as before) */
  tags?: string[]
  /** present only for Run later (UTC, ISO 8601) */
  startAt?: string
}

export type TaskInputResult =
  | { ok: true; spec: TaskDraft; warnings: string[] }
  | { ok: false; errors: FieldErrors }

export const DEFAULT_LIBRARY = 'Documents'
export const DEFAULT_GROUP = 'Default'

function given(v: string | null | undefined): v is string {
  return typeof v === 'string' && v.trim() !== ''
}

/**
 * Parses a settings record keyed by Migration Manager's names (or the aliases `settings set` takes).
 * Retired keys are dropped with a warning; unknown keys and bad values are errors (all in one line).
 */
export function parseSettingsRecord(
  record: Record<string, unknown>,
  where = 'settings',
): { ok: true; value: SettingsOverride; warnings: string[] } | { ok: false; error: string } {
  const out: Record<string, unknown> = {}
  const problems: string[] = []
  const warnings: string[] = []
  for (const [rawKey, raw] of Object.entries(record)) {
    if (rawKey.toLowerCase() === 'usermappingfile') {
      // Migration Manager does use it, but a path in a task names a file on the admin's machine, and an agent
      // reads no path a task gives it outside its source roots: the fleet's map is imported once instead.
      warnings.push(`${where}.${rawKey} is not read from a task; import the file once for the whole fleet with \`mmesh usermap import FILE\`; ignored`)
      continue
    }
    if (isRetiredSettingKey(rawKey)) {
      warnings.push(`${where}.${rawKey} is a setting Migration Manager no longer uses; ignored`)
      continue
    }
    const key = resolveSettingKey(rawKey)
    if (!key) {
      problems.push(`unknown setting ${JSON.stringify(rawKey)} (known: ScanOnly, MigrateHiddenItems, MigrateItemsCreatedAfter, MigrateItemsModifiedAfter, SkipFilesWithExtensions, MigrateFilesAndFoldersWithInvalidChars, TaskRetryWindowMinutes, PreserveUserPermissionsForFileShare, FilePermissions, SharePointRootUrl)`)
      continue
    }
    if (FLEET_ONLY_SETTING_KEYS.includes(key)) {
      problems.push(`${key} is a setting of the whole fleet, not of a task: set it with mmesh settings set ${key} VALUE`)
      continue
    }
    if (raw === undefined) continue
    const r = parseSettingValue(key, raw)
    if (!r.ok) problems.push(r.error)
    else out[key] = r.value
  }
  if (problems.length) return { ok: false, error: `${where}: ${problems.join('; ')}` }
  return { ok: true, value: out as SettingsOverride, warnings }
}

export function validateTaskInput(input: TaskInput): TaskInputResult {
  const errors: FieldErrors = {}
  const warnings: string[] = []

  const source = checkSource(typeof input.source === 'string' ? input.source : '')
  if (!source.ok) errors.source = source.error

  const dest = checkDestinationUrl(typeof input.dest === 'string' ? input.dest : '')
  if (!dest.ok) errors.dest = dest.error

  let library: string | null = null
  if (given(input.library)) {
    const r = checkLibrary(input.library)
    if (!r.ok) errors.library = r.error
    else library = r.value
  } else if (dest.ok && dest.value.kind !== 'file') {
    library = DEFAULT_LIBRARY
  }
  // A OneDrive has one library; "My Files" is only what the web UI calls it.
  if (dest.ok && (dest.value.kind === 'onedrive' || dest.value.kind === 'email') && library !== null && library.toLowerCase() !== 'documents' && !errors.library) {
    errors.library = `library: a OneDrive destination's library is Documents, not ${JSON.stringify(library)}; use --library Documents`
  }

  let folder: string | null = null
  if (given(input.folder)) {
    const r = checkFolder(input.folder)
    if (!r.ok) errors.folder = r.error
    else folder = r.value
  }

  let name = ''
  if (given(input.name)) {
    const r = checkLabel('name', input.name)
    if (!r.ok) errors.name = r.error
    else name = r.value
  } else if (source.ok) {
    name = sourceLeaf(source.value).slice(0, 255)
  }

  let group = DEFAULT_GROUP
  if (given(input.group)) {
    const r = checkLabel('group', input.group)
    if (!r.ok) errors.group = r.error
    else group = r.value
  }

  let settings: SettingsOverride = {}
  if (input.settings !== undefined && input.settings !== null) {
    if (typeof input.settings !== 'object' || Array.isArray(input.settings)) {
      errors.settings = 'settings: expected an object of Migration Manager setting names and values'
    } else {
      const r = parseSettingsRecord(input.settings)
      if (!r.ok) errors.settings = r.error
      else {
        settings = r.value
        warnings.push(...r.warnings)
      }
    }
  }

  const tags = checkTags(input.tags)
  if (!tags.ok) errors.tags = tags.error

  let startAt: string | undefined
  if (given(input.startAt)) {
    const r = checkStartAt(input.startAt)
    if (!r.ok) errors.startAt = r.error
    else startAt = r.value
  }

  if (Object.keys(errors).length > 0 || !source.ok || !dest.ok || !tags.ok) return { ok: false, errors }
  return {
    ok: true,
    spec: { name, source: source.value, destination: { url: dest.value.url, library, folder }, group, settings, ...(tags.value.length > 0 ? { tags: tags.value } : {}), ...(startAt ? { startAt } : {}) },
    warnings,
  }
}

/**
 * Run later's time: ISO 8601 with a date, a time and a zone (an agent in another zone reads the same
 * instant); stored in UTC. A time already past means at once.
 */
export function checkStartAt(raw: string): { ok: true; value: string } | { ok: false; error: string } {
  const v = raw.trim()
  const ms = Date.parse(v)
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(v) || !Number.isFinite(ms)) {
    return { ok: false, error: `start-at: ${JSON.stringify(v)} is not an ISO 8601 time with a zone; e.g. 2026-12-24T19:00:00Z or 2026-12-24T19:00:00+01:00` }
  }
  return { ok: true, value: new Date(ms).toISOString() }
}

/** One line listing every field error, in field order. */
export function formatFieldErrors(errors: FieldErrors): string {
  const order: TaskField[] = ['source', 'dest', 'library', 'folder', 'name', 'group', 'settings', 'tags', 'startAt']
  return order.flatMap((f) => (errors[f] ? [errors[f]!] : [])).join('; ')
}

/** The setting flags of `task add` as commander parses them (`--no-x` options default to true). */
export interface TaskSettingFlags {
  scanOnly?: boolean
  hidden?: boolean
  createdAfter?: string
  modifiedAfter?: string
  skipExt?: string
  invalidChars?: boolean
  preservePermissions?: boolean
  filePermissions?: boolean
}

/**
 * Maps the setting flags of CONTRACT.md to a settings record with Migration Manager's names; only flags
 * the admin gave become overrides (a `--no-x` flag left out keeps the global default).
 */
export function taskFlagsToSettings(flags: TaskSettingFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (flags.scanOnly === true) out.ScanOnly = true
  if (flags.hidden === false) out.MigrateHiddenItems = false
  if (flags.createdAfter !== undefined) out.MigrateItemsCreatedAfter = flags.createdAfter
  if (flags.modifiedAfter !== undefined) out.MigrateItemsModifiedAfter = flags.modifiedAfter
  if (flags.skipExt !== undefined) out.SkipFilesWithExtensions = flags.skipExt
  if (flags.invalidChars === false) out.MigrateFilesAndFoldersWithInvalidChars = false
  if (flags.preservePermissions === true) out.PreserveUserPermissionsForFileShare = true
  if (flags.filePermissions === true) out.FilePermissions = true
  return out
}
