/**
 * SharePoint failures as the engine understands them: `task` scope for what hits every item (credentials,
 * access, site or library missing, storage full, throttled for too long, host unreachable), `item` scope
 * for one file (invalid name, path too long, locked or checked out). Messages say what to do.
 */
import { DestinationError } from '../../engine/destination.ts'
import { AuthError } from '../../auth/token-provider.ts'

export interface ErrorContext {
  siteUrl: string
  library: string
  clientId?: string
  /** what was being done, e.g. "uploading a/b.txt" */
  what: string
}

interface HttpLike {
  status: number
  message: string
}

function isHttp(e: unknown): e is HttpLike {
  return typeof e === 'object' && e !== null && (e as { isHttpRequestError?: boolean }).isHttpRequestError === true
}

/** The server's own words: odata.error message, or error_description of a 401. */
export function serverMessage(e: HttpLike): { code: string; text: string } {
  const raw = e.message.split('::> ')[1] ?? ''
  try {
    const j = JSON.parse(raw) as { 'odata.error'?: { code?: string; message?: { value?: string } }; error_description?: string }
    if (j['odata.error']) return { code: j['odata.error'].code ?? '', text: j['odata.error'].message?.value ?? '' }
    if (j.error_description) return { code: '', text: j.error_description }
  } catch {
    /* not JSON */
  }
  return { code: '', text: raw.slice(0, 200) }
}

const NET_DOWN = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|CERT|certificate|self.signed/i

export function toDestinationError(err: unknown, ctx: ErrorContext): DestinationError {
  if (err instanceof DestinationError) return err
  if (err instanceof AuthError) return new DestinationError(err.message, 'task', `AUTH_${err.code.toUpperCase().replace(/-/g, '_')}`, true, { cause: err })
  if (isHttp(err)) {
    const { code, text } = serverMessage(err)
    const s = err.status
    if (s === 401) {
      if (/Unsupported app only token/i.test(text)) {
        return new DestinationError(`SharePoint refused the app-only token for ${ctx.siteUrl} (made with a client secret): SharePoint needs a certificate; run mmesh auth set --cert FILE`, 'task', 'AUTH_REFUSED', true, { cause: err })
      }
      return new DestinationError(`SharePoint refused the app's token for ${ctx.siteUrl} (${text || 'unauthorized'}): check the tenant id, client id and certificate with mmesh auth test`, 'task', 'AUTH_REFUSED', true, { cause: err })
    }
    if (s === 403) {
      return new DestinationError(`app ${ctx.clientId ?? ''} has no access to ${ctx.siteUrl} (${text || 'access denied'}): grant it Sites.FullControl.All, or write access on this site with Sites.Selected`.replace('app  has', 'the app has'), 'task', 'ACCESS_DENIED', true, { cause: err })
    }
    if (s === 507 || /QuotaExceeded/i.test(code)) {
      return new DestinationError(`the site ${ctx.siteUrl} is out of storage (${text}): raise the site's storage quota or free space; the task resumes by itself`, 'task', 'QUOTA_EXCEEDED', true, { cause: err })
    }
    if (s === 429 || s === 503) {
      return new DestinationError(`SharePoint kept throttling requests to ${ctx.siteUrl}: the task waits and resumes; run fewer agents or tasks at once during business hours`, 'task', 'THROTTLED', true, { cause: err })
    }
    if (/PathTooLong/i.test(code)) return new DestinationError(`path too long at the destination (${ctx.what}): SharePoint allows 400 characters in the full URL`, 'item', '0x0111000B', false, { cause: err })
    if (/-2130575245|not permitted|invalid char/i.test(`${code} ${text}`)) {
      return new DestinationError(`SharePoint refused the name (${ctx.what}): ${text}`, 'item', '0x01110010', false, { cause: err })
    }
    if (s === 423 || /SPFileLockException|SPFileCheckOutException|checked out|locked/i.test(`${code} ${text}`)) {
      return new DestinationError(`the file is locked or checked out at the destination (${ctx.what}): ${text}; check it in or close it, the next run copies it`, 'item', '0x0131000F', true, { cause: err })
    }
    if (s >= 500) return new DestinationError(`SharePoint failed while ${ctx.what} (${s}: ${text})`, 'item', 'DEST_SERVER_ERROR', true, { cause: err })
    return new DestinationError(`SharePoint refused ${ctx.what} (${s}: ${text})`, 'item', 'DEST_REFUSED', false, { cause: err })
  }
  const e = err as Error & { cause?: { code?: string; message?: string } }
  const detail = `${e?.message ?? String(err)} ${e?.cause?.code ?? ''} ${e?.cause?.message ?? ''}`
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') {
    if (e.name === 'TimeoutError') return new DestinationError(`SharePoint did not answer in time while ${ctx.what}`, 'item', 'DEST_TIMEOUT', true, { cause: err })
    throw err
  }
  if (NET_DOWN.test(detail)) {
    return new DestinationError(`cannot reach ${ctx.siteUrl} (${detail.trim()}): check the network, proxy and the site URL's host`, 'task', 'UNREACHABLE', true, { cause: err })
  }
  return new DestinationError(`connection lost while ${ctx.what} (${detail.trim()})`, 'item', 'CONNECTION_LOST', true, { cause: err })
}
