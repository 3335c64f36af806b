/**
 * SharePoint's rules for one file or folder name, as Migration Manager's scan applies them
 * (reference/migration-manager.md §5). Pure: the engine and the `file://` destination use the same
 * rules, so a staging run shows what SharePoint will refuse.
 */

/** Migration Manager's error codes (mm-troubleshoot.md); symbolic codes where Microsoft lists none. */
export const ERROR_CODES = {
  invalidChars: '0x01110010',
  pathTooLong: '0x0111000B',
  cannotAccessSource: '0x01110003',
  cannotReadMetadata: '0x01110009',
  parentNotMigrated: '0x0111000F',
  changedWhileReading: '0x02080001',
  reservedName: 'RESERVED_NAME',
  fileTooLarge: 'FILE_TOO_LARGE',
  nameCollision: 'NAME_COLLISION',
  destinationNewer: 'DEST_NEWER',
  verifyFailed: 'VERIFY_FAILED',
} as const

/** Result categories as they appear in the item report. */
export const CATEGORIES = {
  success: 'Success',
  unchanged: 'Unchanged',
  filtered: 'Filtered out',
  invalidName: 'Invalid name',
  reservedName: 'Reserved name',
  pathTooLong: 'Path too long',
  fileTooLarge: 'File too large',
  collision: 'Name collision',
  parentNotMigrated: 'Parent folder not migrated',
  sourceReadError: 'Source read error',
  destinationNewer: 'Destination newer',
  destinationError: 'Destination error',
} as const

export const MAX_PATH_CHARS = 400
export const MAX_FILE_BYTES = 250 * 1024 ** 3

/** `" * : < > ? / \ |` — SharePoint Online and OneDrive refuse them anywhere in a name. */
const INVALID_CHARS = /["*:<>?/\\|]/g
const RESERVED_BASES = new Set(['con', 'prn', 'aux', 'nul', ...range('com'), ...range('lpt')])

function range(prefix: string): string[] {
  return Array.from({ length: 10 }, (_, i) => `${prefix}${i}`)
}

export type NameCheck =
  | { ok: true; destName: string; renamed: boolean; message: string }
  | { ok: false; category: string; errorCode: string; message: string }

export interface NameContext {
  isFolder: boolean
  /** True for items directly in the task's source root (for the `forms` rule). */
  atRoot: boolean
  /** MigrateFilesAndFoldersWithInvalidChars. */
  replaceInvalidChars: boolean
}

/** True when the name has a character SharePoint refuses, or leading/trailing spaces. */
export function hasInvalidChars(name: string): boolean {
  INVALID_CHARS.lastIndex = 0
  return INVALID_CHARS.test(name) || name !== name.replace(/^ +| +$/g, '')
}

/** The name SharePoint would accept: each invalid character made `_`, leading and trailing spaces trimmed. */
export function replaceInvalidChars(name: string): string {
  return name.replace(INVALID_CHARS, '_').replace(/^ +| +$/g, '')
}

/** Reserved names: refused whatever the invalid-character setting says (a rename would change meaning). */
export function reservedReason(name: string, ctx: Pick<NameContext, 'isFolder' | 'atRoot'>): string | null {
  const lower = name.toLowerCase()
  const base = lower.split('.')[0] ?? lower
  if (RESERVED_BASES.has(base)) return `"${name}" is a reserved device name (${base.toUpperCase()}) that SharePoint refuses`
  if (lower === '.lock') return `".lock" is a name SharePoint refuses`
  if (lower === 'desktop.ini') return `"desktop.ini" is a name SharePoint refuses`
  if (name.startsWith('~$')) return `"${name}" starts with "~$" (an Office lock file), which SharePoint refuses`
  if (lower.includes('_vti_')) return `"${name}" contains "_vti_", which SharePoint refuses`
  if (ctx.isFolder && ctx.atRoot && lower === 'forms') return `"forms" is reserved as a folder at the root of a library`
  return null
}

/** Checks one name against the rules; on success gives the name the item gets at the destination. */
export function checkName(name: string, ctx: NameContext): NameCheck {
  let destName = name
  let renamed = false
  let message = ''
  if (hasInvalidChars(name)) {
    if (!ctx.replaceInvalidChars) {
      return {
        ok: false,
        category: CATEGORIES.invalidName,
        errorCode: ERROR_CODES.invalidChars,
        message: `"${name}" has characters SharePoint refuses (" * : < > ? / \\ | or leading/trailing spaces) and MigrateFilesAndFoldersWithInvalidChars is off`,
      }
    }
    destName = replaceInvalidChars(name)
    if (destName === '') {
      return { ok: false, category: CATEGORIES.invalidName, errorCode: ERROR_CODES.invalidChars, message: `"${name}" has no valid characters left after replacement` }
    }
    renamed = true
    message = `renamed from "${name}" to "${destName}": invalid characters replaced`
  }
  const reserved = reservedReason(destName, ctx)
  if (reserved) return { ok: false, category: CATEGORIES.reservedName, errorCode: ERROR_CODES.reservedName, message: reserved }
  return { ok: true, destName, renamed, message }
}

export type LimitCheck = { ok: true } | { ok: false; category: string; errorCode: string; message: string }

/** The 400-character rule on the full decoded destination path (UTF-16 code units, as SharePoint counts). */
export function checkPathLength(displayPath: string): LimitCheck {
  if (displayPath.length <= MAX_PATH_CHARS) return { ok: true }
  return {
    ok: false,
    category: CATEGORIES.pathTooLong,
    errorCode: ERROR_CODES.pathTooLong,
    message: `Target path is too long: ${displayPath.length} characters, SharePoint allows ${MAX_PATH_CHARS}`,
  }
}

export function checkFileSize(size: number): LimitCheck {
  if (size <= MAX_FILE_BYTES) return { ok: true }
  return {
    ok: false,
    category: CATEGORIES.fileTooLarge,
    errorCode: ERROR_CODES.fileTooLarge,
    message: `File is ${(size / 1024 ** 3).toFixed(1)} GB; SharePoint accepts files up to 250 GB`,
  }
}

/**
 * The key under which a destination that ignores case and normalises Unicode sees a name: two names with
 * one key are one item there (`Report.docx`/`report.docx`, NFC/NFD spellings, `a:b` made `a_b`).
 */
export function collisionKey(destName: string): string {
  return destName.normalize('NFC').toLowerCase()
}

/**
 * The stable order in which a folder's entries are handled, so the same one wins a collision every round:
 * names that land unchanged first (a real `a_b` keeps its name against a renamed `a:b`), then by UTF-16
 * code units of the source name.
 */
export function compareForCollision(a: { name: string; renamed: boolean }, b: { name: string; renamed: boolean }): number {
  if (a.renamed !== b.renamed) return a.renamed ? 1 : -1
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

/** Last extension, lower-case, without the dot; '' for none (`.bashrc` has none, like Windows says). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.')
  if (dot <= 0 || dot === name.length - 1) return ''
  return name.slice(dot + 1).toLowerCase()
}
