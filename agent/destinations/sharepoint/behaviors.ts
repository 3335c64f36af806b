/**
 * The PnPjs pipeline mmesh uses instead of @pnp/nodejs: bearer tokens from our own TokenProvider, the
 * `ISV|mmesh|mmesh/VERSION` user agent Microsoft asks migration tools for, and a send step that paces
 * every request through the agent's Pacer and retries on our terms (PnPjs's own retry gives up after
 * three tries and ignores Retry-After dates).
 *
 * What is retried here: throttling (429/503) always, after exactly the wait the server asked for, since
 * a throttled request was not processed; a 401 once, with a freshly acquired token; connection errors
 * and 500/502/504 only for calls that are safe to repeat. Upload calls (one-request uploads and upload
 * session chunks) are not repeated here: the request may have been taken whole, in part or not at all,
 * so session.ts asks the session where it stands before sending the rest.
 */
import { DefaultParse, type Queryable } from '@pnp/queryable'
import { DefaultHeaders, DefaultInit, spfi, type SPFI } from '@pnp/sp'
import type { TokenProvider } from '../../auth/token-provider.ts'
import { backoffMs, serverWaitMs, sleep, type Pacer } from './pacing.ts'
import { httpsTransport, type Transport } from './transport.ts'

export interface SendOptions {
  pacer: Pacer
  tokenProvider: TokenProvider
  /** give up on a throttled request after waiting this long in total (default 30 min) */
  maxThrottleWaitMs?: number
  /** per request (default 5 min) */
  requestTimeoutMs?: number
  log?: (obj: object, msg: string) => void
  /** the HTTP step (default: node:https with connection reuse, transport.ts) */
  transport?: Transport
}

const WRITE_CALL = /\/(startupload|continueupload|finishupload)\(|\/files\/addusingpath\(/i

export function isRepeatable(method: string, url: string): boolean {
  return method === 'GET' || !WRITE_CALL.test(url)
}

async function drain(r: Response): Promise<void> {
  await r.arrayBuffer().catch(() => undefined)
}

export function BearerAuth(tp: TokenProvider) {
  return (instance: Queryable): Queryable => {
    instance.on.auth.replace(async function (url: URL, init: RequestInit) {
      const token = await tp.getToken(url.origin)
      init.headers = { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` }
      return [url, init] as [URL, RequestInit]
    })
    return instance
  }
}

export function UserAgent(ua: string) {
  return (instance: Queryable): Queryable => {
    instance.on.pre(async function (url: string, init: RequestInit, result: unknown) {
      init.headers = { ...(init.headers as Record<string, string>), 'User-Agent': ua }
      return [url, init, result] as [string, RequestInit, unknown]
    })
    return instance
  }
}

export function PacedSend(o: SendOptions) {
  const maxThrottleWait = o.maxThrottleWaitMs ?? 30 * 60_000
  const timeout = o.requestTimeoutMs ?? 5 * 60_000
  const transport = o.transport ?? httpsTransport
  return (instance: Queryable): Queryable => {
    instance.on.send.replace(async function (url: URL, init: RequestInit): Promise<Response> {
      const u = url.toString()
      const method = (init.method ?? 'GET').toUpperCase()
      const repeatable = isRepeatable(method, u)
      const outer = init.signal ?? undefined
      let attempt = 0
      let throttleWaited = 0
      let reauthed = false
      let req = init
      for (;;) {
        let resp: Response
        try {
          // the answer is read whole inside the slot: a request holds its place until it is really done
          resp = await o.pacer.run(() => transport(u, req, timeout), outer)
        } catch (err) {
          if (outer?.aborted || !repeatable || attempt >= 4) throw err
          const wait = backoffMs(attempt++)
          o.log?.({ url: u, err: String((err as Error).cause ?? err), wait }, 'connection failed; retrying')
          await sleep(wait, outer)
          continue
        }
        if (resp.status === 429 || resp.status === 503) {
          const told = serverWaitMs(resp.headers)
          const wait = told ?? backoffMs(attempt)
          attempt++
          if (throttleWaited + wait > maxThrottleWait) return resp
          throttleWaited += wait
          await drain(resp)
          o.pacer.throttled(Date.now() + wait, wait)
          o.log?.({ url: u, status: resp.status, wait, told: told !== null }, 'throttled; waiting as asked')
          await sleep(wait, outer)
          continue
        }
        if (resp.status === 401 && !reauthed) {
          reauthed = true
          await drain(resp)
          const refused = String((req.headers as Record<string, string>).Authorization ?? '').replace(/^Bearer /, '')
          const token = await o.tokenProvider.getToken(url.origin, { forceRefresh: true, rejected: refused })
          req = { ...req, headers: { ...(req.headers as Record<string, string>), Authorization: `Bearer ${token}` } }
          continue
        }
        if ((resp.status === 500 || resp.status === 502 || resp.status === 504) && repeatable && attempt < 4) {
          // a query over the list view threshold is refused the same way however often it is asked
          if (resp.status === 500 && /SPQueryThrottledException/.test(await resp.clone().text())) return resp
          await drain(resp)
          await sleep(backoffMs(attempt++), outer)
          continue
        }
        return resp
      }
    })
    return instance
  }
}

export interface ClientOptions extends SendOptions {
  siteUrl: string
  userAgent: string
}

/** An SPFI for one site with mmesh's pipeline (headers, init, parse, auth, user agent, paced send). */
export function createSpClient(o: ClientOptions): SPFI {
  return spfi(o.siteUrl).using(
    DefaultHeaders(),
    DefaultInit(),
    DefaultParse(),
    BearerAuth(o.tokenProvider),
    UserAgent(o.userAgent),
    PacedSend(o),
  )
}

/** Ties a PnPjs request (and the queryables made from it) to the engine's AbortSignal. */
export function signalBehavior(signal: AbortSignal) {
  return (instance: Queryable): Queryable => {
    instance.on.pre(async function (url: string, init: RequestInit, result: unknown) {
      init.signal = signal
      return [url, init, result] as [string, RequestInit, unknown]
    })
    return instance
  }
}
