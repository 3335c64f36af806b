/**
 * SharePoint Online / OneDrive as an engine Destination, over @pnp/sp with mmesh's own pipeline
 * (behaviors.ts) and pacing (pacing.ts). The library is found by its title (its URL differs and both are
 * localised), dates go out in the site's regional format, and partial uploads this app left are reported
 * as ours to replace. Folder listings come from one recursive read of the whole task root at the start
 * of a pass (prefetch, tree.ts) where SharePoint allows it, else from one folder's Files and Folders.
 */
import type { SPFI } from '@pnp/sp'
import { SPCollection, SPInstance } from '@pnp/sp'
import { JSONParse } from '@pnp/queryable'
import '@pnp/sp/webs/index.js'
import '@pnp/sp/lists/index.js'
import '@pnp/sp/folders/index.js'
import '@pnp/sp/files/index.js'
import '@pnp/sp/regional-settings/index.js'
import { DestinationError, type Destination, type DestinationEntry, type PutOptions, type PutResult, type SourceFile } from '../../engine/destination.ts'
import { createSpClient, signalBehavior } from './behaviors.ts'
import { formatSiteDate, ianaZone, type SiteRegional, type SiteTimeZone } from './dates.ts'
import { toDestinationError, serverMessage } from './errors.ts'
import { createPacer, type Pacer } from './pacing.ts'
import { OFFICE_EXT, discardStub, setFields, uploadContent, type UploadContext } from './upload.ts'
import { folderKey, toEntry } from './entries.ts'
import { DEFAULT_TREE_LIMITS, readTree, type Tree, type TreeLimits } from './tree.ts'
import type { UserMapping } from './user-mapping.ts'
import { createPermissionApplier, lookupFromUserMapping } from './permissions.ts'
import { probeLibrary } from './probe.ts'
import type { SharePointDestinationOptions } from './options.ts'

export { createPacer, type Pacer, type PacerOptions } from './pacing.ts'
export { parseUserMapping, loadUserMapping, type UserMapping } from './user-mapping.ts'
export type { SharePointDestinationOptions, SharePointLogger } from './options.ts'

const CHUNK_UNIT = 320 * 1024

interface OpenState {
  origin: string
  /** server-relative URL of the destination root (library root + folder) */
  rootUrl: string
  /** server-relative URL of the library's root folder */
  libraryUrl: string
  listId: string
  /** the library's ItemCount when opened: decides how the tree is read */
  itemCount: number
  regional: SiteRegional
  timeZone: SiteTimeZone
  zone: string | null
}

const trimSlashes = (s: string): string => s.replace(/^\/+|\/+$/g, '')
const join = (...parts: string[]): string => parts.filter((p) => p !== '').join('/')

export function createSharePointDestination(o: SharePointDestinationOptions): Destination & { readonly pacer: Pacer; readonly sp: SPFI } {
  const site = new URL(o.siteUrl)
  const siteUrl = `${site.origin}${site.pathname.replace(/\/+$/, '')}`
  const library = o.library || 'Documents'
  const folder = trimSlashes(o.folder ?? '')
  const chunkSize = o.chunkSize ?? 10 * 1024 * 1024
  if (chunkSize <= 0 || chunkSize % CHUNK_UNIT !== 0) throw new Error(`chunk size ${chunkSize} is not a multiple of 320 KiB (${CHUNK_UNIT} bytes)`)
  const pacer = o.pacer ?? createPacer({ maxInFlight: o.maxInFlight, fleetBackoff: o.fleetBackoff, onThrottle: o.onThrottle })
  const log = (obj: object, msg: string) => o.logger?.debug(obj, msg)
  const sp = createSpClient({
    siteUrl, tokenProvider: o.tokenProvider, pacer, userAgent: o.userAgent ?? `ISV|mmesh|mmesh/${o.version ?? '0.0.0'}`,
    maxThrottleWaitMs: o.maxThrottleWaitMs, requestTimeoutMs: o.requestTimeoutMs, log,
  })
  const ctx = (what: string) => ({ siteUrl, library, clientId: o.tokenProvider.kind === 'app' ? o.tokenProvider.principalHint || undefined : undefined, what })
  const up: UploadContext = {
    sp, chunkSize, smallFileLimit: o.smallFileLimit ?? chunkSize, quickXorHash: o.quickXorHash, log,
    explain: (err, what) => toDestinationError(err, ctx(what)), sessionAttempts: o.sessionAttempts, chunkAttempts: o.chunkAttempts,
    ...(o.throttle ? { throttle: o.throttle } : {}),
  }
  // read late: a provider that loads its credentials lazily knows its principal only after the first token
  const hintOf = () => o.tokenProvider.principalHint.toLowerCase()
  const knownFolders = new Set<string>()
  let state: OpenState | null = null
  /** the destination root's URL as a probe found it (a scan-only round opens nothing) */
  let probedRoot: string | null = null
  /** the pass's recursive read: listings not yet handed to the engine (each is handed out once) */
  let tree: { rel: string; listings: Tree; at: number } | null = null
  const treeLimits: TreeLimits = { ...DEFAULT_TREE_LIMITS, ...o.treeLimits }
  const permissions = createPermissionApplier(sp, () => lookupFromUserMapping(o.userMapping ?? null))

  const need = (): OpenState => {
    if (!state) throw new DestinationError('the SharePoint destination was used before open()', 'task', 'NOT_OPEN', true)
    return state
  }
  const serverUrl = (rel: string): string => join(need().rootUrl, trimSlashes(rel))

  async function open(signal: AbortSignal): Promise<void> {
    try {
      // the web first: a 404 here means the site itself is wrong, not the library
      const regional = (await sp.web.regionalSettings.using(signalBehavior(signal))()) as unknown as SiteRegional
      // the library with its root folder in one request; its id and size serve the recursive read
      const [tz, lib] = await Promise.all([
        sp.web.regionalSettings.timeZone.using(signalBehavior(signal))() as unknown as Promise<SiteTimeZone>,
        sp.web.lists.getByTitle(library).select('Id', 'ItemCount', 'RootFolder/ServerRelativeUrl').expand('RootFolder').using(signalBehavior(signal))() as Promise<{ Id: string; ItemCount: number; RootFolder: { ServerRelativeUrl: string } }>,
      ])
      const root = lib.RootFolder
      state = {
        origin: site.origin, rootUrl: join(root.ServerRelativeUrl.replace(/\/+$/, ''), folder), libraryUrl: root.ServerRelativeUrl.replace(/\/+$/, ''),
        listId: lib.Id, itemCount: Number(lib.ItemCount) || 0, regional, timeZone: tz, zone: ianaZone(tz),
      }
      if (!state.zone) o.logger?.warn({ timeZone: tz }, 'unknown SharePoint time zone; using its standard offset without daylight saving')
      knownFolders.add(root.ServerRelativeUrl.replace(/\/+$/, '').toLowerCase())
      if (folder) await ensureFolder('', signal)
    } catch (err) {
      throw openError(err)
    }
  }

  /** A scan's destination check (probe.ts); afterwards paths are measured with the library's real URL. */
  async function probe(signal: AbortSignal): Promise<string> {
    const r = await probeLibrary({ sp, library, folder, origin: site.origin, openError, toError: (err, what) => toDestinationError(err, ctx(what)) }, signal)
    probedRoot = r.rootUrl
    return r.message
  }

  function openError(err: unknown): DestinationError {
    const e = err as { isHttpRequestError?: boolean; status?: number; message: string }
    if (e?.isHttpRequestError && e.status === 404) {
      const { text } = serverMessage(e as { status: number; message: string })
      if (/List '.*' does not exist/i.test(text)) {
        return new DestinationError(`library "${library}" was not found on ${siteUrl}: give the library's title as shown in Site contents (for example Documents, or Dokumente on a German site)`, 'task', 'LIBRARY_NOT_FOUND', true, { cause: err })
      }
      return new DestinationError(`site ${siteUrl} was not found: check the site URL (https://TENANT.sharepoint.com/sites/NAME), or that the OneDrive has been provisioned`, 'task', '0x0201000F', true, { cause: err })
    }
    const de = toDestinationError(err, ctx(`opening ${siteUrl}`))
    return de.scope === 'task' ? de : new DestinationError(de.message, 'task', de.code, true, { cause: err })
  }

  async function listAll(url: string, kind: 'files' | 'folders', signal: AbortSignal): Promise<Record<string, unknown>[]> {
    const f = sp.web.getFolderByServerRelativePath(url)
    const q = kind === 'files'
      ? f.files.select('Name', 'Length', 'TimeLastModified', 'TimeCreated', 'ModifiedBy/LoginName').expand('ModifiedBy')
      : f.folders.select('Name', 'TimeLastModified')
    let page = (await q.top(o.listPageSize ?? 5000).using(JSONParse(), signalBehavior(signal))()) as { value?: Record<string, unknown>[]; 'odata.nextLink'?: string }
    const out = [...(page.value ?? [])]
    while (page['odata.nextLink']) {
      page = (await SPCollection([sp.web, page['odata.nextLink']]).using(JSONParse(), signalBehavior(signal))()) as typeof page
      out.push(...(page.value ?? []))
    }
    return out
  }

  async function prefetch(relRoot: string, signal: AbortSignal): Promise<void> {
    const s = need()
    tree = null
    if (o.recursiveRead === false) return
    const url = serverUrl(relRoot)
    const what = ctx(`reading ${url}`)
    let read: Awaited<ReturnType<typeof readTree>>
    try {
      read = await readTree({ sp, listId: s.listId, itemCount: s.itemCount, libraryUrl: s.libraryUrl }, url, hintOf(), treeLimits, signal, (err) => toDestinationError(err, what).scope === 'task')
    } catch (err) {
      throw toDestinationError(err, what)
    }
    if (read.ok) {
      tree = { rel: trimSlashes(relRoot), listings: read.tree, at: Date.now() }
      log({ url, items: read.items, requests: read.requests, how: read.how }, 'destination read in one go')
    } else {
      o.logger?.warn({ url, why: read.why, requests: read.requests }, 'destination not read in one go; listing folder by folder')
    }
  }

  /** The folder's listing from the pass's tree, handed out once; undefined when the tree cannot say. */
  async function fromTree(relFolder: string, signal: AbortSignal): Promise<Map<string, DestinationEntry> | undefined> {
    if (!tree) return undefined
    if (Date.now() - tree.at >= (o.treeMaxAgeMs ?? 10 * 60_000)) await prefetch(tree.rel, signal)
    if (!tree) return undefined
    const rel = trimSlashes(relFolder)
    const root = folderKey(tree.rel)
    const k = folderKey(rel)
    if (root !== '' && k !== root && !k.startsWith(`${root}/`)) return undefined
    const key = root === '' ? k : k.slice(root.length).replace(/^\//, '')
    const got = tree.listings.get(key)
    // a folder the read did not see (made since, or handed out already): ask SharePoint
    if (!got) return undefined
    tree.listings.delete(key)
    knownFolders.add(serverUrl(rel).toLowerCase())
    if (rel === '' && !folder) got.delete('Forms') // never an item, but be sure: the library's own system folder
    return got
  }

  async function list(relFolder: string, signal: AbortSignal): Promise<Map<string, DestinationEntry> | null> {
    const cached = await fromTree(relFolder, signal)
    if (cached) return cached
    const url = serverUrl(relFolder)
    let files: Record<string, unknown>[], folders: Record<string, unknown>[]
    try {
      ;[files, folders] = await Promise.all([listAll(url, 'files', signal), listAll(url, 'folders', signal)])
    } catch (err) {
      const e = err as { isHttpRequestError?: boolean; status?: number }
      if (e?.isHttpRequestError && e.status === 404) return null
      throw toDestinationError(err, ctx(`listing ${url}`))
    }
    knownFolders.add(url.toLowerCase())
    const out = new Map<string, DestinationEntry>()
    for (const f of folders) {
      const name = String(f.Name)
      if (name === 'Forms' && relFolder === '' && !folder) continue // the library's own system folder
      out.set(name, { name, isFolder: true, size: 0, mtimeMs: Date.parse(String(f.TimeLastModified)), partial: false })
    }
    const hint = hintOf()
    for (const f of files) {
      const editor = String((f.ModifiedBy as { LoginName?: string } | undefined)?.LoginName ?? '')
      const e = toEntry({ name: String(f.Name), isFolder: false, size: Number(f.Length), modified: String(f.TimeLastModified), created: String(f.TimeCreated), editor }, hint)
      out.set(e.name, e)
    }
    return out
  }

  async function ensureFolder(relFolder: string, signal: AbortSignal): Promise<void> {
    const target = serverUrl(relFolder)
    if (knownFolders.has(target.toLowerCase())) return
    // parents first: SharePoint does not create missing intermediate folders
    const base = need().libraryUrl
    const parts = join(folder, trimSlashes(relFolder)).split('/').filter(Boolean)
    const chain: string[] = []
    for (let i = 0; i < parts.length; i++) chain.push(join(base, ...parts.slice(0, i + 1)))
    for (const url of chain) {
      if (knownFolders.has(url.toLowerCase())) continue
      try {
        await sp.web.folders.using(signalBehavior(signal)).addUsingPath(url, false)
      } catch (err) {
        const e = err as { isHttpRequestError?: boolean; status?: number; message: string }
        const exists = e?.isHttpRequestError && e.status === 409 && !/file with the name/i.test(serverMessage(e as never).text)
        if (!exists) throw toDestinationError(err, ctx(`creating folder ${url}`))
      }
      knownFolders.add(url.toLowerCase())
    }
  }

  async function fileState(url: string): Promise<{ exists: boolean; ours: boolean }> {
    try {
      const f = (await sp.web.getFileByServerRelativePath(url).select('Name', 'ModifiedBy/LoginName').expand('ModifiedBy')()) as { ModifiedBy?: { LoginName?: string } }
      const hint = hintOf()
      return { exists: true, ours: hint !== '' && String(f.ModifiedBy?.LoginName ?? '').toLowerCase().includes(hint) }
    } catch (err) {
      if ((err as { status?: number }).status === 404) return { exists: false, ours: false }
      throw toDestinationError(err, ctx(`checking ${url}`))
    }
  }

  async function putOnce(rel: string, source: SourceFile, options: PutOptions, overwrite: boolean): Promise<PutResult> {
    const s = need()
    const url = serverUrl(rel)
    const slash = url.lastIndexOf('/')
    const folderUrl = url.slice(0, slash)
    const name = url.slice(slash + 1)
    const got = await uploadContent(up, folderUrl, name, source, { ...options, overwrite })
    const office = OFFICE_EXT.test(name)
    if (!office && Number(got.info.Length) !== got.bytes) {
      await discardStub(up, url, null)
      throw new DestinationError(`SharePoint holds ${got.info.Length} bytes of ${url} after the upload, not ${got.bytes}`, 'item', 'DEST_SIZE_MISMATCH', true)
    }
    // a one-request upload carried its XorHash and SharePoint checked it; a session's file is checked here
    // (Office documents excepted: SharePoint rewrites them, so their size and hash differ by design)
    if (!office && got.chunked && got.hash) await checkStored(url, got.bytes, got.hash, options.signal)
    await applyFields(s, url, source)
    return { size: got.bytes, hash: got.hash, hashAlgorithm: got.hash ? 'QuickXorHash' : null }
  }

  /**
   * What SharePoint reports for the stored file (its drive item: size and QuickXorHash, through the
   * file's VroomDriveID/VroomItemID) against what was sent. A mismatch removes the file and fails the
   * item; a service that reports no hash leaves the size check above as the only one.
   */
  async function checkStored(url: string, bytes: number, hash: string, signal: AbortSignal): Promise<void> {
    type DriveItem = { size?: number; file?: { hashes?: { quickXorHash?: string } } }
    let reported = null as DriveItem | null
    try {
      const ids = (await sp.web.getFileByServerRelativePath(url).select('VroomDriveID', 'VroomItemID').using(signalBehavior(signal))()) as { VroomDriveID?: string; VroomItemID?: string }
      if (ids.VroomDriveID && ids.VroomItemID) {
        const item = SPInstance([sp.web, `${siteUrl}/_api/v2.0/drives/${encodeURIComponent(ids.VroomDriveID)}/items/${encodeURIComponent(ids.VroomItemID)}`])
        reported = (await item.select('id', 'size', 'file').using(signalBehavior(signal))()) as DriveItem
      }
    } catch (err) {
      const de = toDestinationError(err, ctx(`checking ${url}`))
      if (de.scope === 'task' || signal.aborted) throw de
      // no drive API here (or not for this app): the size check stands alone
      log({ url, err: de.message }, 'no stored hash to compare with')
      return
    }
    const theirs = reported?.file?.hashes?.quickXorHash
    const size = reported?.size
    if ((theirs && theirs !== hash) || (typeof size === 'number' && size !== bytes)) {
      await discardStub(up, url, null)
      throw new DestinationError(`SharePoint holds other content for ${url} than was sent (QuickXorHash ${theirs ?? '?'}, ${size ?? '?'} bytes; sent ${hash}, ${bytes} bytes): the upload was removed; the next run copies the file again`, 'item', 'DEST_HASH_MISMATCH', false)
    }
    if (!theirs) log({ url }, 'SharePoint reported no QuickXorHash for the upload; size checked only')
  }

  async function applyFields(s: OpenState, url: string, source: SourceFile): Promise<void> {
    const fmt = (ms: number) => formatSiteDate(ms, s.regional, s.timeZone, s.zone)
    const dates = [
      { FieldName: 'Created', FieldValue: fmt(source.birthtimeMs ?? source.mtimeMs) },
      { FieldName: 'Modified', FieldValue: fmt(source.mtimeMs) },
    ]
    const upn = o.userMapping?.upnFor(source.owner) ?? null
    const people = upn ? [{ FieldName: 'Author', FieldValue: JSON.stringify([{ Key: `i:0#.f|membership|${upn}` }]) }, { FieldName: 'Editor', FieldValue: JSON.stringify([{ Key: `i:0#.f|membership|${upn}` }]) }] : []
    let results = await setFields(sp, url, [...dates, ...people])
    let failed = results.filter((r) => r.HasException)
    if (failed.length && failed.every((r) => r.FieldName === 'Author' || r.FieldName === 'Editor')) {
      o.logger?.warn({ url, upn, error: failed[0]?.ErrorMessage }, 'author mapping refused by SharePoint; times set without it')
      results = await setFields(sp, url, dates)
      failed = results.filter((r) => r.HasException)
    }
    if (failed.length || results.length === 0) {
      // a file without its source times would look newer than the source forever: take it away
      await discardStub(up, url, null)
      const f = failed[0]
      throw new DestinationError(`SharePoint refused ${f?.FieldName ?? 'the'} time "${(f as { FieldValue?: string } | undefined)?.FieldValue ?? ''}" for ${url}: ${f?.ErrorMessage ?? 'no field results'}`, 'item', '0x01110011', false)
    }
  }

  async function putFile(rel: string, source: SourceFile, options: PutOptions): Promise<PutResult> {
    const attempts = Math.max(1, o.putAttempts ?? 3)
    let overwrite = options.overwrite
    for (let attempt = 1; ; attempt++) {
      try {
        return await putOnce(rel, source, options, overwrite)
      } catch (err) {
        if (options.signal.aborted) throw err
        const de = toDestinationError(err, ctx(`uploading ${serverUrl(rel)}`))
        // a failed chunk was already resumed inside its upload session (session.ts): what reaches here
        // is a whole-file failure (a one-request upload, the fields, a session that could not go on)
        if (de.scope === 'task' || !de.retryable || attempt >= attempts || de.code === '0x02080001') throw de
        log({ rel, attempt, err: de.message }, 'restarting the file')
        // an interrupted attempt may have left the file in place: ours to replace, anyone else's to keep
        const st = await fileState(serverUrl(rel))
        if (st.exists && !st.ours && !options.overwrite) {
          throw new DestinationError(`someone else wrote ${serverUrl(rel)} while it was being uploaded; left alone`, 'item', 'DEST_CHANGED', false)
        }
        overwrite = options.overwrite || st.exists
      }
    }
  }

  return {
    kind: 'sharepoint',
    pacer,
    sp,
    open,
    probe,
    displayPath(rel: string): string {
      const root = state ? `${state.origin}${state.rootUrl}` : (probedRoot ?? join(siteUrl, library, folder))
      return join(root, trimSlashes(rel))
    },
    prefetch,
    list,
    ensureFolder,
    putFile,
    async applyPermissions(rel, isFolder, grants, signal) {
      const r = trimSlashes(rel)
      // the library itself (a task without --folder) keeps its permissions: its items get theirs
      if (r === '' && !folder) return { change: 'none', unique: false, granted: [], unmapped: [], note: 'the library root keeps its permissions' }
      try {
        return await permissions.apply(serverUrl(r), isFolder, grants, signal)
      } catch (err) {
        throw toDestinationError(err, ctx(`setting permissions of ${serverUrl(r)}`))
      }
    },
    async close() {
      knownFolders.clear()
      tree = null
    },
  }
}
