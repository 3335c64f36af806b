/**
 * A destination given as a user's e-mail: their OneDrive, library Documents. The agent asks the user
 * profile service on the tenant's root site (the global setting SharePointRootUrl) for the user's
 * `PersonalUrl` when the task opens, then works on that site like on any other. Migration Manager's
 * answers are kept: a user without a provisioned OneDrive fails the task with "OneDrive not provisioned"
 * (0x0201000F); a user the tenant does not know is named as such.
 */
import type { TokenProvider } from '../../auth/token-provider.ts'
import { DestinationError, type Destination } from '../../engine/destination.ts'
import { httpsTransport, type Transport } from './transport.ts'
import { toDestinationError } from './errors.ts'

/** Migration Manager's code for "invalid site URL / OneDrive not provisioned". */
export const ONEDRIVE_NOT_PROVISIONED = '0x0201000F'

export interface OneDriveLookup {
  rootUrl: string | null
  tokens: Pick<TokenProvider, 'getToken'>
  transport?: Transport
}

/** The user's OneDrive site URL (https://…-my.sharepoint.com/personal/…), or a task-scope DestinationError. */
export async function resolveOneDrive(email: string, o: OneDriveLookup, signal: AbortSignal): Promise<string> {
  if (!o.rootUrl) {
    throw new DestinationError(`the destination ${email} is an e-mail address and the setting SharePointRootUrl is not set: run mmesh settings set SharePointRootUrl https://TENANT.sharepoint.com`, 'task', 'NO_ROOT_URL', true)
  }
  const root = o.rootUrl.replace(/\/+$/, '')
  const origin = new URL(root).origin
  const account = `i:0#.f|membership|${email}`
  const url = `${root}/_api/SP.UserProfiles.PeopleManager/GetPropertiesFor(accountName=@v)?@v='${encodeURIComponent(account.replace(/'/g, "''"))}'`
  const send = o.transport ?? httpsTransport
  const ctx = { siteUrl: root, library: 'Documents', what: `looking up the OneDrive of ${email}` }
  let body: { 'odata.null'?: boolean; AccountName?: string | null; PersonalUrl?: string | null }
  try {
    let rejected: string | undefined
    let res: Response
    for (let attempt = 0; ; attempt++) {
      const token = await o.tokens.getToken(origin, rejected ? { forceRefresh: true, rejected } : {})
      res = await send(url, { method: 'GET', headers: { Accept: 'application/json;odata=nometadata', Authorization: `Bearer ${token}` }, signal }, 60_000)
      if (res.status !== 401 || attempt > 0) break
      rejected = token
    }
    if (res.status === 404) body = { 'odata.null': true }
    else if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}::> ${await res.text()}`), { isHttpRequestError: true, status: res.status })
    else body = (await res.json()) as typeof body
  } catch (err) {
    if (signal.aborted) throw err
    throw toDestinationError(err, ctx)
  }
  if (body['odata.null'] === true || !body.AccountName) {
    throw new DestinationError(`no user ${email} in the tenant of ${root}: check the address (the user's sign-in name) or give the OneDrive URL`, 'task', 'USER_NOT_FOUND', true)
  }
  const personal = typeof body.PersonalUrl === 'string' ? body.PersonalUrl.trim() : ''
  let site: URL | null = null
  try {
    site = personal ? new URL(personal) : null
  } catch {
    site = null
  }
  // SharePoint names a profile's would-be OneDrive before it exists on some tenants: only a /personal/ site counts.
  if (!site || site.protocol !== 'https:' || !/^\/personal\/[^/]+\/?$/i.test(site.pathname)) {
    throw new DestinationError(`OneDrive not provisioned for ${email}: pre-provision it (Request-SPOPersonalSite, or the user signs in to OneDrive once), then rerun the task`, 'task', ONEDRIVE_NOT_PROVISIONED, true)
  }
  return `${site.origin}${site.pathname.replace(/\/+$/, '')}`
}

/**
 * The task's destination for an e-mail: resolved on open(), then the SharePoint destination of that site.
 * Before open (a scan-only task never opens it) paths are shown under the e-mail.
 */
export function emailDestination(email: string, library: string, folder: string | null, lookup: () => OneDriveLookup, openSite: (url: string) => Destination): Destination {
  let inner: Destination | null = null
  const site = (): Destination => {
    if (!inner) throw new DestinationError(`the OneDrive of ${email} was not opened`, 'task', 'NOT_OPEN', false)
    return inner
  }
  return {
    kind: 'sharepoint',
    async open(signal) {
      if (!inner) inner = openSite(await resolveOneDrive(email, lookup(), signal))
      await inner.open(signal)
    },
    displayPath(rel) {
      if (inner) return inner.displayPath(rel)
      return [email, library, folder, rel].filter((p) => p).join('/')
    },
    prefetch: (rel, signal) => site().prefetch?.(rel, signal) ?? Promise.resolve(),
    list: (rel, signal) => site().list(rel, signal),
    ensureFolder: (rel, signal) => site().ensureFolder(rel, signal),
    putFile: (rel, source, options) => site().putFile(rel, source, options),
    close: async () => {
      await inner?.close()
    },
  }
}
