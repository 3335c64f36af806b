/**
 * Syntax checks for the parts of a task an admin types: the source path, the destination URL, the library
 * and the folder. Pure; each check returns the normalised value or one sentence naming the fix.
 */

export type Check<T> = { ok: true; value: T } | { ok: false; error: string }

/** Characters Windows and SharePoint refuse in a name, plus C0 controls and DEL. */
// eslint-disable-next-line no-control-regex
const INVALID_NAME_CHARS = /["*:<>?|\u0000-\u001f\u007f]/
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/
export const MAX_PATH = 4096
export const MAX_NAME = 255

function show(value: string): string {
  const v = value.length > 80 ? `${value.slice(0, 77)}...` : value
  return JSON.stringify(v)
}

function badChar(segment: string): string | null {
  const m = INVALID_NAME_CHARS.exec(segment)
  if (!m) return null
  const c = m[0]
  const code = c.charCodeAt(0)
  return code < 0x20 || code === 0x7f ? `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}` : `"${c}"`
}

function checkSegments(segments: string[], what: string): string | null {
  for (const s of segments) {
    if (s === '.' || s === '..') return `${what}: must not contain "." or ".." segments; give the full path`
    const bad = badChar(s)
    if (bad) return `${what}: ${show(s)} contains ${bad}; remove it (not allowed: " * : < > ? | and control characters)`
  }
  return null
}

/**
 * A source is a UNC path `\\server\share\…` (forward slashes accepted for the separators and turned into
 * backslashes) or an absolute local path: POSIX `/…` or Windows `C:\…`. Trailing separators are dropped.
 */
export function checkSource(raw: string): Check<string> {
  const v = raw.trim()
  if (v === '') return { ok: false, error: 'source: missing; give a UNC path (\\\\server\\share\\folder) or an absolute local path' }
  if (v.length > MAX_PATH) return { ok: false, error: `source: longer than ${MAX_PATH} characters; give a shorter path` }
  if (/^[\\/]{2}/.test(v) && !/^\/\/\//.test(v)) {
    const parts = v.slice(2).split(/[\\/]+/)
    while (parts.length > 2 && parts[parts.length - 1] === '') parts.pop()
    const [server = '', share = ''] = parts
    if (server === '' || share === '') {
      return { ok: false, error: `source: ${show(raw)} names no share; write it as \\\\server\\share[\\folder]` }
    }
    if (/[\\/\s"*:<>?|]/.test(server) || CONTROL_CHARS.test(server)) {
      return { ok: false, error: `source: server name ${show(server)} is not valid; write it as \\\\server\\share[\\folder]` }
    }
    const err = checkSegments(parts.slice(1), 'source')
    if (err) return { ok: false, error: err }
    if (parts.slice(1).some((p) => p === '')) return { ok: false, error: `source: ${show(raw)} has an empty folder name; remove the doubled separator` }
    return { ok: true, value: `\\\\${parts.join('\\')}` }
  }
  const drive = /^([A-Za-z]):(.*)$/.exec(v)
  if (drive) {
    const rest = drive[2] ?? ''
    if (!/^[\\/]/.test(rest)) {
      return { ok: false, error: `source: ${show(raw)} is relative to the current folder of drive ${drive[1]}:; give the full path such as ${drive[1]}:\\data` }
    }
    const parts = rest.split(/[\\/]+/).filter((p) => p !== '')
    const err = checkSegments(parts, 'source')
    if (err) return { ok: false, error: err }
    return { ok: true, value: `${drive[1]!.toUpperCase()}:\\${parts.join('\\')}` }
  }
  if (v.startsWith('/')) {
    if (v.includes('\0') || CONTROL_CHARS.test(v)) return { ok: false, error: 'source: contains a control character; remove it' }
    const parts = v.split('/').filter((p) => p !== '')
    if (parts.some((p) => p === '.' || p === '..')) return { ok: false, error: 'source: must not contain "." or ".." segments; give the full path' }
    return { ok: true, value: `/${parts.join('/')}` }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    return { ok: false, error: `source: ${show(raw)} is a URL; give a file share as \\\\server\\share\\folder or an absolute local path` }
  }
  return { ok: false, error: `source: ${show(raw)} is not a UNC path or an absolute path; write \\\\server\\share\\folder, /mnt/share or C:\\data` }
}

/** Last segment of a normalised source: the default task name. */
export function sourceLeaf(source: string): string {
  const parts = source.split(/[\\/]+/).filter((p) => p !== '')
  return parts[parts.length - 1] ?? source
}

export interface DestCheck {
  url: string
  /** email: a user's e-mail, standing for their OneDrive (resolved by the agent through SharePointRootUrl) */
  kind: 'sharepoint' | 'onedrive' | 'file' | 'email'
}

const EMAIL = /^[^\s@/:]+@[^\s@/:]+\.[^\s@/:]+$/

/** A user's e-mail as a destination: their OneDrive. Lower case, as user principal names compare. */
export function isEmailDestination(url: string): boolean {
  return EMAIL.test(url)
}

/**
 * The destination: an https SharePoint site URL (root, /sites/…, /teams/…, /personal/…; any host, also an
 * emulator's 127.0.0.1:port), a user's e-mail (their OneDrive, library Documents) or `file:///ABSOLUTE/DIR`.
 * No query, no fragment, no page URL.
 */
export function checkDestinationUrl(raw: string): Check<DestCheck> {
  const v = raw.trim()
  if (v === '') return { ok: false, error: 'dest: missing; give the site URL such as https://contoso.sharepoint.com/sites/finance, or file:///DIR' }
  if (v.length > 2048) return { ok: false, error: 'dest: longer than 2048 characters; give the site URL only' }
  if (EMAIL.test(v)) {
    if (v.length > 256) return { ok: false, error: `dest: ${show(raw)} is longer than an e-mail address can be; give the user's e-mail or OneDrive URL` }
    return { ok: true, value: { url: v.toLowerCase(), kind: 'email' } }
  }
  if (v.includes('@') && !v.includes('://')) {
    return { ok: false, error: `dest: ${show(raw)} is not a valid e-mail address; give the user's e-mail such as jdoe@contoso.com (their OneDrive), or a site URL` }
  }
  let u: URL
  try {
    u = new URL(v)
  } catch {
    return { ok: false, error: `dest: ${show(raw)} is not a URL; give https://HOST/sites/SITE or file:///DIR` }
  }
  if (v.includes('?') || v.includes('#')) {
    return { ok: false, error: `dest: ${show(raw)} has a query or fragment; give the site URL without ?… or #…` }
  }
  if (u.protocol === 'file:') {
    // URL parsing resolves "..", so look at the text as typed: a path that climbs is a typo or a trick.
    const typed = v.replace(/^file:\/\/[^/]*/i, '').split('/').map((s) => s.replace(/%2e/gi, '.'))
    if (typed.some((s) => s === '.' || s === '..')) return { ok: false, error: 'dest: the folder path must not contain "." or ".." segments' }
    if (u.host !== '' && u.host.toLowerCase() !== 'localhost') {
      return { ok: false, error: `dest: ${show(raw)} names a host; write a local or mounted folder as file:///ABSOLUTE/DIR` }
    }
    let path: string
    try {
      path = decodeURIComponent(u.pathname)
    } catch {
      return { ok: false, error: `dest: ${show(raw)} has a broken %-escape; write file:///ABSOLUTE/DIR` }
    }
    if (CONTROL_CHARS.test(path)) return { ok: false, error: 'dest: the folder path contains a control character; remove it' }
    const parts = path.split('/').filter((p) => p !== '')
    if (parts.some((p) => p === '.' || p === '..')) return { ok: false, error: 'dest: the folder path must not contain "." or ".." segments' }
    const clean = `/${parts.join('/')}`
    return { ok: true, value: { url: `file://${encodeURI(clean)}`, kind: 'file' } }
  }
  if (u.protocol === 'http:') return { ok: false, error: `dest: ${show(raw)} uses http; SharePoint needs https://` }
  if (u.protocol !== 'https:') return { ok: false, error: `dest: ${show(raw)} is neither https:// nor file://; give https://HOST/sites/SITE or file:///DIR` }
  if (u.username !== '' || u.password !== '') return { ok: false, error: 'dest: remove the user name and password from the URL; credentials go in `mmesh auth set`' }
  if (/\/_layouts\//i.test(u.pathname)) {
    return { ok: false, error: `dest: ${show(raw)} points into _layouts (such as _layouts/15/onedrive.aspx); give the site or OneDrive URL only` }
  }
  const segs = u.pathname.split('/').filter((p) => p !== '')
  if (segs.some((s) => /\.aspx$/i.test(s))) {
    return { ok: false, error: `dest: ${show(raw)} is a page URL; give the site URL only, and the library with --library` }
  }
  const head = (segs[0] ?? '').toLowerCase()
  let kind: DestCheck['kind'] = 'sharepoint'
  if (segs.length > 0) {
    if (head === 'sites' || head === 'teams') {
      if (segs.length < 2) return { ok: false, error: `dest: ${show(raw)} names no site; give https://HOST/${head}/SITE` }
    } else if (head === 'personal') {
      if (segs.length !== 2) return { ok: false, error: `dest: ${show(raw)} is not a OneDrive URL; give https://HOST/personal/USER (the library goes in --library)` }
      kind = 'onedrive'
    } else {
      return { ok: false, error: `dest: ${show(raw)} is not a site URL; give the root site, /sites/SITE, /teams/SITE or /personal/USER` }
    }
  }
  const path = segs.length ? `/${segs.join('/')}` : ''
  return { ok: true, value: { url: `https://${u.host.toLowerCase()}${path}`, kind } }
}

/** A library is one name (its title in SharePoint, a folder under a file:// destination). */
export function checkLibrary(raw: string): Check<string> {
  const v = raw.trim()
  if (v === '') return { ok: false, error: 'library: empty; give the library name such as Documents' }
  if (v.length > MAX_NAME) return { ok: false, error: `library: longer than ${MAX_NAME} characters; give a shorter name` }
  if (/[\\/]/.test(v)) return { ok: false, error: `library: ${show(raw)} contains a slash; give the library's name only and put subfolders in --folder` }
  const bad = badChar(v)
  if (bad) return { ok: false, error: `library: ${show(raw)} contains ${bad}; remove it` }
  if (v === '.' || v === '..') return { ok: false, error: 'library: "." and ".." are not names; give the library name such as Documents' }
  return { ok: true, value: v }
}

/** A folder inside the library: relative, `/` or `\` separators, normalised to `/`; null when empty. */
export function checkFolder(raw: string): Check<string | null> {
  const v = raw.trim()
  if (v === '') return { ok: true, value: null }
  if (v.length > MAX_PATH) return { ok: false, error: `folder: longer than ${MAX_PATH} characters; give a shorter folder path` }
  if (/^[A-Za-z]:/.test(v) || /^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    return { ok: false, error: `folder: ${show(raw)} is not a relative path; give the folder inside the library such as Team/2024` }
  }
  const parts = v.split(/[\\/]+/).filter((p) => p !== '')
  for (const p of parts) {
    if (p === '.' || p === '..') return { ok: false, error: 'folder: must not contain "." or ".." segments; give the folder inside the library such as Team/2024' }
    const bad = badChar(p)
    if (bad) return { ok: false, error: `folder: ${show(p)} contains ${bad}; remove it` }
    if (p !== p.trim()) return { ok: false, error: `folder: ${show(p)} starts or ends with a space; SharePoint refuses that, remove the space` }
    if (p.length > MAX_NAME) return { ok: false, error: `folder: a folder name is longer than ${MAX_NAME} characters; shorten it` }
  }
  return { ok: true, value: parts.length ? parts.join('/') : null }
}

/** Free text names (task name, group): trimmed, 1..255, no control characters. */
export function checkLabel(field: 'name' | 'group', raw: string): Check<string> {
  const v = raw.trim()
  if (v === '') return { ok: false, error: `${field}: empty; give a ${field} or leave the option out` }
  if (v.length > MAX_NAME) return { ok: false, error: `${field}: longer than ${MAX_NAME} characters; give a shorter ${field}` }
  if (CONTROL_CHARS.test(v)) return { ok: false, error: `${field}: contains a control character; remove it` }
  return { ok: true, value: v }
}
