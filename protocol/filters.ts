/**
 * The settings filters (Migration Manager's names). Pure. Files are filtered by every setting; folders
 * are kept as structure unless hidden (a hidden folder hides all it holds). Filters combine with AND.
 */
import type { Settings } from './settings.ts'
import { CATEGORIES, extensionOf } from './classify.ts'

export interface FilterItem {
  name: string
  isFolder: boolean
  hidden: boolean
  /** Inside a hidden folder (at any depth). */
  underHiddenFolder: boolean
  mtimeMs: number
  /** Creation time where known; null when the platform cannot say. */
  birthtimeMs: number | null
}

export type FilterVerdict = { keep: true } | { keep: false; category: string; message: string }

export type ItemFilter = (item: FilterItem) => FilterVerdict

const KEEP: FilterVerdict = { keep: true }

export function compileFilters(settings: Settings): ItemFilter {
  const createdAfter = settings.MigrateItemsCreatedAfter ? Date.parse(settings.MigrateItemsCreatedAfter) : null
  const modifiedAfter = settings.MigrateItemsModifiedAfter ? Date.parse(settings.MigrateItemsModifiedAfter) : null
  const skipExt = new Set(settings.SkipFilesWithExtensions.map((e) => e.replace(/^\.+/, '').toLowerCase()))
  const hiddenOk = settings.MigrateHiddenItems
  return (item) => {
    if (!hiddenOk) {
      if (item.underHiddenFolder) return out('inside a hidden folder and MigrateHiddenItems is off')
      if (item.hidden) return out(`hidden ${item.isFolder ? 'folder' : 'file'} and MigrateHiddenItems is off`)
    }
    if (item.isFolder) return KEEP
    if (skipExt.size > 0) {
      const ext = extensionOf(item.name)
      if (ext !== '' && skipExt.has(ext)) return out(`extension .${ext} is in SkipFilesWithExtensions`)
    }
    if (modifiedAfter !== null && item.mtimeMs < modifiedAfter) {
      return out(`modified ${new Date(item.mtimeMs).toISOString()}, before MigrateItemsModifiedAfter ${settings.MigrateItemsModifiedAfter}`)
    }
    if (createdAfter !== null) {
      // Unknown creation time: a file cannot be created after it was last modified, so its modified time
      // is the latest it can have been created; using it keeps files we cannot prove are too old.
      const created = item.birthtimeMs ?? item.mtimeMs
      if (created < createdAfter) {
        return out(`created ${new Date(created).toISOString()}, before MigrateItemsCreatedAfter ${settings.MigrateItemsCreatedAfter}`)
      }
    }
    return KEEP
  }
}

function out(message: string): FilterVerdict {
  return { keep: false, category: CATEGORIES.filtered, message: `Filtered out: ${message}` }
}
