/**
 * The recursive read: every file and folder under the task's destination root in one CAML query per
 * 5,000 items (`getitems` with `<View Scope='RecursiveAll'>`, in ID order, paged by
 * `ListItemCollectionPosition` "Paged=TRUE&p_ID=<last ID>"), so the engine's compare can be answered
 * for every folder without a listing request of its own. An unchanged rerun then costs a few requests
 * instead of two per folder.
 *
 * SharePoint's list view threshold decides the query (Microsoft: queries over lists of more than 5,000
 * items must be answerable from an index; a folder-scoped RecursiveAll over such a library is refused
 * with SPQueryThrottledException, however small the folder):
 * 1. library at most `threshold` items: the query scoped to the root folder (FolderServerRelativeUrl);
 * 2. larger (or 1. refused): the whole library in ID order with no filter, which SharePoint answers at
 *    any size, and the items under the root kept in code — while the library has at most
 *    `maxLibraryScanItems` (each 5,000 costs a request whatever share of them is ours), and unless the
 *    root folder is empty (its ItemCount, one request: a first run into a large library);
 * 3. otherwise, or when the query is refused for another reason: no tree, and the destination lists
 *    folder by folder as before.
 */
import type { SPFI } from '@pnp/sp'
import { spPost } from '@pnp/sp'
import { body, JSONParse } from '@pnp/queryable'
import { List } from '@pnp/sp/lists/index.js'
import '@pnp/sp/folders/index.js'
import type { DestinationEntry } from '../../engine/destination.ts'
import { signalBehavior } from './behaviors.ts'
import { folderKey, toEntry } from './entries.ts'

export interface TreeLibrary {
  sp: SPFI
  listId: string
  /** the library's ItemCount when it was opened (files and folders) */
  itemCount: number
  /** server-relative URL of the library's root folder */
  libraryUrl: string
}

export interface TreeLimits {
  /** rows per query (SharePoint refuses more than the threshold on a large list) */
  pageSize: number
  /** the list view threshold: SharePoint Online's is 5,000 */
  threshold: number
  /** read a library larger than the threshold whole, in ID order, only up to this many items */
  maxLibraryScanItems: number
  /** give up (list folder by folder) when the tree holds more than this: it is kept in memory */
  maxItems: number
}

export const DEFAULT_TREE_LIMITS: TreeLimits = { pageSize: 5000, threshold: 5000, maxLibraryScanItems: 100_000, maxItems: 100_000 }

/** Listings by folder path relative to the root (folderKey; '' = the root), each keyed by name. */
export type Tree = Map<string, Map<string, DestinationEntry>>

export type TreeRead =
  | { ok: true; tree: Tree; items: number; requests: number; how: 'folder query' | 'library scan' | 'empty root' }
  | { ok: false; why: string; requests: number; error?: unknown }

const FIELDS = ['ID', 'FSObjType', 'FileRef', 'FileLeafRef', 'Modified', 'Created', 'Editor']
const SELECT = ['Id', 'FileSystemObjectType', 'FileRef', 'FileLeafRef', 'Modified', 'Created', 'Editor/Name', 'File/Length']

interface Row {
  Id: number
  FileSystemObjectType: number
  FileRef: string
  FileLeafRef: string
  Modified: string
  Created: string
  Editor?: { Name?: string } | null
  File?: { Length?: string | number } | null
}

function viewXml(pageSize: number): string {
  const fields = FIELDS.map((f) => `<FieldRef Name='${f}'/>`).join('')
  return `<View Scope='RecursiveAll'><Query><OrderBy Override='TRUE'><FieldRef Name='ID' Ascending='TRUE'/></OrderBy></Query><ViewFields>${fields}</ViewFields><RowLimit Paged='TRUE'>${pageSize}</RowLimit></View>`
}

/** A refusal that no retry changes: the list view threshold. */
export function isThresholdRefusal(err: unknown): boolean {
  const e = err as { isHttpRequestError?: boolean; status?: number; message?: string }
  return e?.isHttpRequestError === true && e.status === 500 && /SPQueryThrottledException/.test(e.message ?? '')
}

/** True for errors the task must see (credentials, access, throttled too long, host gone), not a reason to list per folder. */
export type TaskScopeCheck = (err: unknown) => boolean

export async function readTree(lib: TreeLibrary, rootUrl: string, hint: string, limits: TreeLimits, signal: AbortSignal, isTaskScope: TaskScopeCheck): Promise<TreeRead> {
  let requests = 0
  const scoped = lib.itemCount <= limits.threshold
  const scanAllowed = lib.itemCount <= limits.maxLibraryScanItems
  if (!scoped && !scanAllowed) return { ok: false, why: `the library holds ${lib.itemCount} items, more than ${limits.maxLibraryScanItems} to read whole`, requests }
  const attempt = async (folderScoped: boolean): Promise<TreeRead> => {
    const tree: Tree = new Map([['', new Map()]])
    const prefix = `${rootUrl.replace(/\/+$/, '').normalize('NFC').toLowerCase()}/`
    let items = 0
    let after = 0
    for (;;) {
      const query = {
        ViewXml: viewXml(limits.pageSize),
        ...(folderScoped ? { FolderServerRelativeUrl: rootUrl } : {}),
        ...(after > 0 ? { ListItemCollectionPosition: { PagingInfo: `Paged=TRUE&p_ID=${after}` } } : {}),
      }
      requests++
      const q = List(lib.sp.web.lists.getById(lib.listId), 'getitems').select(...SELECT).expand('Editor', 'File').using(JSONParse(), signalBehavior(signal))
      const page = (await spPost(q, body({ query }))) as { value?: Row[] } | Row[]
      const rows = Array.isArray(page) ? page : page.value ?? []
      for (const r of rows) {
        const ref = String(r.FileRef).normalize('NFC')
        if (!ref.toLowerCase().startsWith(prefix)) continue // the library scan: someone else's part of the library
        const rel = ref.slice(prefix.length)
        const slash = rel.lastIndexOf('/')
        const parent = folderKey(slash < 0 ? '' : rel.slice(0, slash))
        const isFolder = Number(r.FileSystemObjectType) === 1
        const entry = toEntry({ name: String(r.FileLeafRef), isFolder, size: Number(r.File?.Length ?? 0), modified: String(r.Modified), created: String(r.Created), editor: String(r.Editor?.Name ?? '') }, hint)
        let dir = tree.get(parent)
        if (!dir) tree.set(parent, (dir = new Map()))
        dir.set(entry.name, entry)
        // an empty folder still has a listing: empty, not "unknown"
        if (isFolder && !tree.has(folderKey(rel))) tree.set(folderKey(rel), new Map())
        if (++items > limits.maxItems) return { ok: false, why: `more than ${limits.maxItems} items under the root`, requests }
      }
      // REST gives no position back: a full page means there may be more
      if (rows.length < limits.pageSize) return { ok: true, tree, items, requests, how: folderScoped ? 'folder query' : 'library scan' }
      after = Number(rows[rows.length - 1]!.Id)
    }
  }
  try {
    if (scoped) {
      try {
        return await attempt(true)
      } catch (err) {
        // the library grew past the threshold since it was opened: read it whole if that is affordable
        if (!isThresholdRefusal(err) || !scanAllowed) throw err
      }
    }
    // a task folder in a large library that holds nothing yet (a first run): one request, not a scan of
    // the whole library
    if (rootUrl.replace(/\/+$/, '').toLowerCase() !== lib.libraryUrl.toLowerCase()) {
      requests++
      const f = (await lib.sp.web.getFolderByServerRelativePath(rootUrl).select('ItemCount').using(JSONParse(), signalBehavior(signal))()) as { ItemCount?: number }
      if (Number(f.ItemCount) === 0) return { ok: true, tree: new Map([['', new Map()]]), items: 0, requests, how: 'empty root' }
    }
    return await attempt(false)
  } catch (err) {
    if (signal.aborted || isTaskScope(err)) throw err
    return { ok: false, why: isThresholdRefusal(err) ? 'SharePoint refused the query (list view threshold)' : `the query failed: ${String((err as Error)?.message ?? err).slice(0, 300)}`, requests, error: err }
  }
}
