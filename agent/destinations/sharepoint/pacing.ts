/**
 * Request pacing for one agent's SharePoint traffic: a cap on requests in flight shared by every task,
 * waits exactly as long as the server asks (Retry-After in seconds or as an HTTP date, RateLimit-Reset;
 * the greater), exponential backoff with jitter only when the server gives no figure, and throttle
 * windows shared with the fleet.
 *
 * SharePoint throttles per app per tenant, so a throttle seen by one agent concerns all. During a
 * throttle window (our own, or one another agent announced through `fleetBackoff`) new requests are
 * slowed to a quarter of the cap; when the window is long (the app's budget is spent: minutes, not
 * seconds) they pause until it ends. Requests that were themselves throttled always wait their own
 * Retry-After before going again.
 *
 * A request rate (this agent's share of the fleet's TenantRequestsPerMinute) spaces requests evenly, each
 * retry included: SharePoint counts every request it receives, and a burst at the start of each minute
 * is what tips a tenant into 429s.
 */

export interface PacerOptions {
  /** requests in flight at once for this agent (default 16) */
  maxInFlight?: number
  /** ms epoch until which the fleet asked to hold (0 or past = no hold) */
  fleetBackoff?: () => number
  /** called when this agent is told to wait, with the ms epoch the wait ends (broadcast via presence) */
  onThrottle?: (untilMs: number) => void
  /** a throttle window at least this long pauses new requests instead of slowing them (default 10 s) */
  pauseThresholdMs?: number
  /**
   * the same for a fleet window, judged by what is left of it when first seen (default half of
   * pauseThresholdMs: the news travels by heartbeat and arrives seconds late)
   */
  fleetPauseThresholdMs?: number
  /** share of the cap allowed during a short throttle window (default 0.25) */
  throttledShare?: number
  /** requests per minute this agent may send now (read before each request; 0 or less: no limit) */
  requestsPerMinute?: () => number
  /** clock, for tests */
  now?: () => number
}

/** Milliseconds the server asked us to wait, or null when it did not say. */
export function serverWaitMs(headers: Headers, now = Date.now()): number | null {
  let wait: number | null = null
  const ra = headers.get('retry-after')
  if (ra !== null && ra.trim() !== '') {
    const secs = Number(ra.trim())
    if (Number.isFinite(secs)) wait = Math.max(0, secs * 1000)
    else {
      const at = Date.parse(ra)
      if (Number.isFinite(at)) wait = Math.max(0, at - now)
    }
  }
  // RateLimit-Reset (IETF draft-03, as SharePoint sends it) is delta seconds; honour the greater of the two
  const reset = headers.get('ratelimit-reset')
  if (reset !== null && Number.isFinite(Number(reset))) {
    const remaining = headers.get('ratelimit-remaining')
    if (remaining === null || Number(remaining) <= 0 || wait !== null) wait = Math.max(wait ?? 0, Number(reset) * 1000)
  }
  return wait
}

/** Exponential backoff with full jitter, for failures the server did not put a figure on. */
export function backoffMs(attempt: number, baseMs = 500, capMs = 30_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt)
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
}

export interface Pacer {
  /** runs fn with a slot, after any fleet or local hold */
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>
  /** records a throttle answer: the window ends at `untilMs` */
  throttled(untilMs: number, windowMs: number): void
  readonly stats: { throttles: number; maxInFlight: number; inFlight: number; waitedMs: number; rateWaits: number }
}

/**
 * One abort listener per signal, however many waits and requests share it: the engine passes one task
 * signal to every request, and a listener each would pile up (Node warns at 11). Returns the removal.
 */
const watchers = new WeakMap<AbortSignal, Set<() => void>>()
export function onAbortOf(signal: AbortSignal, fn: () => void): () => void {
  let set = watchers.get(signal)
  if (!set) {
    const fresh = new Set<() => void>()
    set = fresh
    watchers.set(signal, fresh)
    signal.addEventListener('abort', () => { for (const f of [...fresh]) f() }, { once: true })
  }
  set.add(fn)
  return () => { set.delete(fn) }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new DOMException('aborted', 'AbortError'))
    const t = setTimeout(done, Math.max(0, ms))
    const unwatch = signal ? onAbortOf(signal, onAbort) : () => {}
    function done() {
      unwatch()
      resolve()
    }
    function onAbort() {
      clearTimeout(t)
      unwatch()
      reject(signal!.reason ?? new DOMException('aborted', 'AbortError'))
    }
  })
}

export function createPacer(opts: PacerOptions = {}): Pacer {
  const cap = Math.max(1, opts.maxInFlight ?? 16)
  const now = opts.now ?? Date.now
  const pauseThreshold = opts.pauseThresholdMs ?? 10_000
  const fleetPauseThreshold = opts.fleetPauseThresholdMs ?? pauseThreshold / 2
  const share = Math.min(1, Math.max(0, opts.throttledShare ?? 0.25))
  let localUntil = 0
  let localLong = false
  let inFlight = 0
  const waiters: (() => void)[] = []
  const stats = { throttles: 0, maxInFlight: 0, inFlight: 0, waitedMs: 0, rateWaits: 0 }
  /** when the next request may go under the rate (theoretical arrival time) */
  let nextAt = 0

  // a fleet window is judged by its length when we first saw it, not by what is left of it
  let fleetSeen = { until: 0, long: false }
  const holdState = (): { until: number; pause: boolean } => {
    const t = now()
    const fleet = opts.fleetBackoff?.() ?? 0
    if (fleet !== fleetSeen.until) fleetSeen = { until: fleet, long: fleet - t >= fleetPauseThreshold }
    const until = Math.max(localUntil, fleet)
    if (until <= t) return { until: 0, pause: false }
    const pause = (localUntil > t && localLong) || (fleet > t && fleetSeen.long)
    return { until, pause }
  }

  const limit = (): number => {
    const h = holdState()
    if (h.until === 0) return cap
    return h.pause ? 0 : Math.max(1, Math.floor(cap * share))
  }

  const wake = (): void => {
    // wake only as many as there are free slots; each re-checks the limit when it runs
    let free = limit() - inFlight
    while (waiters.length && free-- > 0) waiters.shift()!()
  }

  async function acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError')
      const l = limit()
      if (inFlight < l) {
        inFlight++
        stats.inFlight = inFlight
        stats.maxInFlight = Math.max(stats.maxInFlight, inFlight)
        return
      }
      const h = holdState()
      const started = now()
      // wait for a slot, or for the hold to change (fleet windows move without telling us)
      await new Promise<void>((resolve) => {
        // The timeout takes its own entry out of the queue: one left behind would later swallow a wake
        // meant for a real waiter (which then sat out its whole 250 ms).
        const waiter = (): void => {
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(() => {
          const i = waiters.indexOf(waiter)
          if (i >= 0) waiters.splice(i, 1)
          resolve()
        }, h.until ? Math.min(250, Math.max(10, h.until - now())) : 250)
        waiters.push(waiter)
      })
      stats.waitedMs += now() - started
    }
  }

  /**
   * Waits for this request's turn under the rate, holding its slot (so at most `cap` requests wait here
   * and a new share applies within one gap). A request a little late keeps the schedule (no drift from
   * timer lateness); one after an idle spell starts it afresh, so no unused budget piles up into a burst.
   */
  async function paceRate(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const rpm = opts.requestsPerMinute?.() ?? 0
      if (!(rpm > 0)) return
      const gap = 60_000 / rpm
      const t = now()
      if (t >= nextAt) {
        nextAt = (t - nextAt < gap ? nextAt : t) + gap
        return
      }
      stats.rateWaits++
      // re-read the rate at least every second: a share grows when another agent leaves
      await sleep(Math.min(nextAt - t, 1000), signal)
    }
  }

  function release(): void {
    inFlight--
    stats.inFlight = inFlight
    wake()
  }

  return {
    stats,
    async run(fn, signal) {
      await acquire(signal)
      try {
        await paceRate(signal)
        return await fn()
      } finally {
        release()
      }
    },
    throttled(untilMs, windowMs) {
      stats.throttles++
      if (untilMs > localUntil) {
        localUntil = untilMs
        localLong = windowMs >= pauseThreshold
      }
      opts.onThrottle?.(untilMs)
    },
  }
}
