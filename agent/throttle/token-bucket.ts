/**
 * The agent's bandwidth limit (`--max-mbps`, `agent set --max-mbps`, a group's `--max-mbps`): one token
 * bucket per agent, shared by every task it runs and by both copy paths that move file content (the
 * `file://` destination's streamed copy and the SharePoint upload), so the limit holds for the agent as a
 * whole whatever mix of tasks it runs.
 *
 * A taker asks for the bytes it is about to send and waits until they fit. Tokens may go negative (a
 * chunk larger than the burst is let through and paid off by waiting), so the long-run rate is exact
 * whatever the chunk size. The rate is read on every take: a limit changed by the fleet applies to the
 * next chunk without restarting anything.
 */

export interface Throttle {
  /** A limit is in force now: copy paths that bypass this process (kernel copies, worker batches) step aside. */
  readonly active: boolean
  /** Waits until `bytes` may be sent; rejects with the signal's reason when it aborts. */
  take(bytes: number, signal?: AbortSignal): Promise<void>
}

export interface TokenBucketOptions {
  /** bytes per second now; null: no limit */
  rate: () => number | null
  /** seconds of traffic the bucket holds when idle (default 0.2): how far a burst may run ahead */
  burstSeconds?: number
  /** monotonic ms (default performance.now) */
  now?: () => number
}

export function createTokenBucket(o: TokenBucketOptions): Throttle {
  const now = o.now ?? (() => performance.now())
  const burstSeconds = o.burstSeconds ?? 0.2
  let tokens = 0
  let last = now()
  let lastRate: number | null = null
  // Takers queue in order, so one big chunk cannot be overtaken forever by small ones.
  let queue: Promise<void> = Promise.resolve()

  function refill(rate: number): void {
    const t = now()
    const burst = rate * burstSeconds
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * rate)
    last = t
  }

  async function takeNow(bytes: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted()
      const rate = o.rate()
      if (rate === null || rate <= 0) {
        lastRate = null
        return
      }
      if (lastRate === null) {
        // A limit just came into force: start with an empty bucket, measured from now.
        tokens = 0
        last = now()
      }
      lastRate = rate
      refill(rate)
      if (tokens >= 0) {
        tokens -= bytes
        if (tokens >= 0) return
        // Pay the debt off before the next taker: wait here, so the bytes just taken are sent at the rate.
        await sleep((-tokens / rate) * 1000, signal)
        return
      }
      await sleep((-tokens / rate) * 1000, signal)
    }
  }

  return {
    get active() {
      const r = o.rate()
      return r !== null && r > 0
    },
    take(bytes: number, signal?: AbortSignal): Promise<void> {
      if (bytes <= 0 || !this.active) return Promise.resolve()
      const mine = queue.then(() => takeNow(bytes, signal))
      queue = mine.catch(() => undefined)
      return mine
    },
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, Math.max(1, Math.ceil(ms)))
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
