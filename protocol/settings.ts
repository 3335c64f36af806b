/**
 * Task settings with Migration Manager's names. A task stores only the settings it overrides; the
 * effective settings are the global defaults (folded from `settings.set` commands) under those overrides.
 */
import { z } from 'zod'

export interface Settings {
  /** ScanOnly: scan and report, copy nothing. */
  ScanOnly: boolean
  /** MigrateHiddenItems: false leaves hidden files out, and a hidden folder hides all it holds. */
  MigrateHiddenItems: boolean
  /** MigrateItemsCreatedAfter: ISO 8601 instant (inclusive) or null. */
  MigrateItemsCreatedAfter: string | null
  /** MigrateItemsModifiedAfter: ISO 8601 instant (inclusive) or null. */
  MigrateItemsModifiedAfter: string | null
  /** SkipFilesWithExtensions: lower-case extensions without dots. */
  SkipFilesWithExtensions: string[]
  /** MigrateFilesAndFoldersWithInvalidChars: true replaces invalid characters, false skips such items. */
  MigrateFilesAndFoldersWithInvalidChars: boolean
  /** TaskRetryWindow: minutes a task waits and retries on errors that hit every item before it fails. */
  TaskRetryWindowMinutes: number
  /**
   * PreserveUserPermissionsForFileShare ("Preserve file share permissions"): carry the source's explicit
   * permissions to the destination, mapped Read → Read, Write → Contribute, Full control → Full Control.
   */
  PreserveUserPermissionsForFileShare: boolean
  /**
   * FilePermissions (Migration Manager's project setting of that name): with permissions preserved, files
   * get their own too; off, files inherit from their folder, as Migration Manager does by default.
   */
  FilePermissions: boolean
  /**
   * SharePointRootUrl: the tenant's root site (https://contoso.sharepoint.com), where a destination given
   * as a user's e-mail is looked up (its OneDrive, through the user profile service); null: not set.
   */
  SharePointRootUrl: string | null
  /**
   * TenantRequestsPerMinute: the fleet-wide SharePoint request budget, per tenant; 0 = none. Online agents
   * with credentials for a tenant each take an equal share. Fleet-wide only: a task cannot override it.
   */
  TenantRequestsPerMinute: number
}

export const DEFAULT_SETTINGS: Settings = {
  ScanOnly: false,
  MigrateHiddenItems: true,
  MigrateItemsCreatedAfter: null,
  MigrateItemsModifiedAfter: null,
  SkipFilesWithExtensions: [],
  MigrateFilesAndFoldersWithInvalidChars: true,
  TaskRetryWindowMinutes: 30,
  PreserveUserPermissionsForFileShare: false,
  FilePermissions: false,
  SharePointRootUrl: null,
  TenantRequestsPerMinute: 0,
}

export type SettingKey = keyof Settings
export const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as SettingKey[]

/** Settings of the fleet, not of a task: `settings set` only (a task's own value would mean nothing). */
export const FLEET_ONLY_SETTING_KEYS: readonly SettingKey[] = ['TenantRequestsPerMinute']

/** Upper bound of TenantRequestsPerMinute: far above what SharePoint grants one app. */
export const MAX_TENANT_REQUESTS_PER_MINUTE = 1_000_000

/** Keys Migration Manager documented once and no longer uses: accepted with a warning, ignored. */
export const RETIRED_SETTING_KEYS = [
  'PreservePermission',
  'EnableIncremental',
  'AzureActiveDirectoryLookup',
  'CustomAzureStorageAccount',
  'CustomAzureAccessKey',
  'MigrateOneNoteFolderAsOneNoteNoteBook',
  'DeleteTempFilesWhenMigrationDone',
  'StartMigrationAt',
  'ScanOnlyForDuplicateItems',
  // UserMappingFile is still used by Migration Manager: task-input.ts points to `mmesh usermap import`
  'UserMappingFile',
  'PreserveFileSharePermissions',
  'KeepAllVersions',
  'NumberOfVersionToMigrate',
  'MigrateSchema',
  'MigrateHiddenFiles',
  'SkipListWithAudienceTargetingEnabled',
  'WorkingFolder',
  // The bulk JSON example shows MigrateOneNoteNotebook; FilterOutPathSpecialCharacters was in it until 2021.
  'MigrateOneNoteNotebook',
  'FilterOutPathSpecialCharacters',
  'MigrateFileVersionHistory',
  'StartMigrationAutomaticallyWhenNoScanIssue',
  'EnableEncryption',
  'UseCustomAzureStorage',
] as const

const RETIRED_LOWER = new Set<string>(RETIRED_SETTING_KEYS.map((k) => k.toLowerCase()))

/** Retired keys match case-insensitively, as Migration Manager's JSON reader does. */
export function isRetiredSettingKey(key: string): boolean {
  return RETIRED_LOWER.has(key.toLowerCase())
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/
const ISO_FULL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

/**
 * Parses a DATE as the contract defines it: `YYYY-MM-DD` (00:00 UTC) or a full ISO 8601 time with a zone.
 * Returns the normalised ISO instant, or an error sentence naming the fix.
 */
export function parseSettingDate(value: string): { ok: true; value: string } | { ok: false; error: string } {
  const v = value.trim()
  let ms: number
  if (DATE_ONLY.test(v)) ms = Date.parse(`${v}T00:00:00Z`)
  else if (ISO_FULL.test(v)) ms = Date.parse(v)
  else return { ok: false, error: `"${value}" is not a date: use YYYY-MM-DD or a full ISO 8601 time such as 2024-01-31T08:00:00Z` }
  if (!Number.isFinite(ms)) return { ok: false, error: `"${value}" is not a real calendar date: use YYYY-MM-DD` }
  const iso = new Date(ms).toISOString()
  // Date.parse rolls 2024-02-31 over to March; refuse instead of surprising the admin.
  if (DATE_ONLY.test(v) && iso.slice(0, 10) !== v) return { ok: false, error: `"${value}" is not a real calendar date: use YYYY-MM-DD` }
  return { ok: true, value: iso }
}

/** The tenant's root site: https and a host, nothing after it (the user profile service lives there). */
function parseRootUrl(value: string): { ok: true; value: string } | { ok: false; error: string } {
  const fix = 'give the root site only, such as https://contoso.sharepoint.com'
  let u: URL
  try {
    u = new URL(value.trim())
  } catch {
    return { ok: false, error: `SharePointRootUrl: ${JSON.stringify(value)} is not a URL; ${fix}` }
  }
  if (u.protocol !== 'https:') return { ok: false, error: `SharePointRootUrl: ${JSON.stringify(value)} is not https; ${fix}` }
  if (u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) return { ok: false, error: `SharePointRootUrl: ${JSON.stringify(value)} has more than a host; ${fix}` }
  return { ok: true, value: u.origin.toLowerCase() }
}

/** Parses `txt:mp3` (also `.txt;mp3`, commas) into lower-case extensions without dots. */
export function parseExtensionList(value: string): { ok: true; value: string[] } | { ok: false; error: string } {
  const parts = value.split(/[:;,]/).map((p) => p.trim().replace(/^\.+/, '').toLowerCase()).filter((p) => p.length > 0)
  for (const p of parts) {
    if (/[\\/*?"<>|\s]/.test(p)) return { ok: false, error: `"${p}" is not a file extension: list extensions like txt:mp3` }
  }
  return { ok: true, value: [...new Set(parts)] }
}

export function parseBooleanSetting(value: string | boolean): { ok: true; value: boolean } | { ok: false; error: string } {
  if (typeof value === 'boolean') return { ok: true, value }
  const v = value.trim().toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(v)) return { ok: true, value: true }
  if (['false', '0', 'no', 'off'].includes(v)) return { ok: true, value: false }
  return { ok: false, error: `"${value}" is not true or false` }
}

/** Aliases an admin may type for `settings set KEY VALUE`, besides Migration Manager's own key names. */
const KEY_ALIASES: Record<string, SettingKey> = {
  'scan-only': 'ScanOnly',
  scanonly: 'ScanOnly',
  'migrate-hidden': 'MigrateHiddenItems',
  migratehiddenitems: 'MigrateHiddenItems',
  'created-after': 'MigrateItemsCreatedAfter',
  migrateitemscreatedafter: 'MigrateItemsCreatedAfter',
  'modified-after': 'MigrateItemsModifiedAfter',
  migrateitemsmodifiedafter: 'MigrateItemsModifiedAfter',
  'skip-ext': 'SkipFilesWithExtensions',
  skipfileswithextensions: 'SkipFilesWithExtensions',
  'invalid-chars': 'MigrateFilesAndFoldersWithInvalidChars',
  migratefilesandfolderswithinvalidchars: 'MigrateFilesAndFoldersWithInvalidChars',
  taskretrywindow: 'TaskRetryWindowMinutes',
  taskretrywindowminutes: 'TaskRetryWindowMinutes',
  'retry-window': 'TaskRetryWindowMinutes',
  'preserve-permissions': 'PreserveUserPermissionsForFileShare',
  preserveuserpermissionsforfileshare: 'PreserveUserPermissionsForFileShare',
  'file-permissions': 'FilePermissions',
  filepermissions: 'FilePermissions',
  sharepointrooturl: 'SharePointRootUrl',
  'sharepoint-root-url': 'SharePointRootUrl',
  tenantrequestsperminute: 'TenantRequestsPerMinute',
  'tenant-requests-per-minute': 'TenantRequestsPerMinute',
}

export function resolveSettingKey(key: string): SettingKey | null {
  if ((SETTING_KEYS as string[]).includes(key)) return key as SettingKey
  return KEY_ALIASES[key.toLowerCase()] ?? null
}

/** Parses one setting value given as text or JSON, as `settings set`, the CSV/JSON import and the flags do. */
export function parseSettingValue(
  key: SettingKey,
  raw: unknown,
): { ok: true; value: Settings[SettingKey] } | { ok: false; error: string } {
  switch (key) {
    case 'ScanOnly':
    case 'MigrateHiddenItems':
    case 'MigrateFilesAndFoldersWithInvalidChars':
    case 'PreserveUserPermissionsForFileShare':
    case 'FilePermissions':
      if (typeof raw === 'boolean' || typeof raw === 'string') {
        const r = parseBooleanSetting(raw)
        return r.ok ? r : { ok: false, error: `${key}: ${r.error}` }
      }
      return { ok: false, error: `${key}: expected true or false` }
    case 'MigrateItemsCreatedAfter':
    case 'MigrateItemsModifiedAfter': {
      if (raw === null || raw === '') return { ok: true, value: null }
      if (typeof raw !== 'string') return { ok: false, error: `${key}: expected a date such as 2024-01-31` }
      const r = parseSettingDate(raw)
      return r.ok ? r : { ok: false, error: `${key}: ${r.error}` }
    }
    case 'SkipFilesWithExtensions': {
      if (Array.isArray(raw)) raw = raw.join(':')
      if (typeof raw !== 'string') return { ok: false, error: `${key}: expected a list such as txt:mp3` }
      const r = parseExtensionList(raw)
      return r.ok ? r : { ok: false, error: `${key}: ${r.error}` }
    }
    case 'TaskRetryWindowMinutes': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN
      if (!Number.isFinite(n) || n < 0 || n > 7 * 24 * 60) return { ok: false, error: `${key}: expected minutes from 0 to 10080` }
      return { ok: true, value: n }
    }
    case 'SharePointRootUrl': {
      if (raw === null || raw === '') return { ok: true, value: null }
      if (typeof raw !== 'string') return { ok: false, error: `${key}: expected the tenant's root site URL such as https://contoso.sharepoint.com` }
      return parseRootUrl(raw)
    }
    case 'TenantRequestsPerMinute': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN
      if (!Number.isInteger(n) || n < 0 || n > MAX_TENANT_REQUESTS_PER_MINUTE) return { ok: false, error: `${key}: expected whole requests per minute from 0 (no budget) to ${MAX_TENANT_REQUESTS_PER_MINUTE}` }
      return { ok: true, value: n }
    }
  }
}

export const settingsOverrideSchema = z
  .object({
    ScanOnly: z.boolean(),
    MigrateHiddenItems: z.boolean(),
    MigrateItemsCreatedAfter: z.string().nullable(),
    MigrateItemsModifiedAfter: z.string().nullable(),
    SkipFilesWithExtensions: z.array(z.string().max(64)).max(500),
    MigrateFilesAndFoldersWithInvalidChars: z.boolean(),
    TaskRetryWindowMinutes: z.number().min(0).max(10080),
    PreserveUserPermissionsForFileShare: z.boolean(),
    FilePermissions: z.boolean(),
    SharePointRootUrl: z.string().max(2048).nullable(),
  })
  .partial()
  .loose()

export type SettingsOverride = Partial<Settings>

export function effectiveSettings(globals: Settings, override: SettingsOverride | undefined): Settings {
  const out: Settings = { ...globals }
  if (!override) return out
  for (const key of SETTING_KEYS) {
    if (FLEET_ONLY_SETTING_KEYS.includes(key)) continue
    const v = override[key]
    if (v !== undefined) (out as unknown as Record<string, unknown>)[key] = v
  }
  return out
}
