import { describe, expect, it, vi } from 'vitest'
import { backoffMs, createPacer, serverWaitMs } from '../../agent/destinations/sharepoint/pacing.ts'

const H = (h: Record<string, string>) => new Headers(h)

describe('pacing: how long the server asked us to wait', () => {
  it('reads Retry-After as seconds and as an HTTP date, RateLimit-Reset, and the greater of both', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(serverWaitMs(H({ 'Retry-After': '3' }), now)).toBe(3000)
    expect(serverWaitMs(H({ 'Retry-After': new Date(now + 120_000).toUTCString() }), now)).toBe(120_000)
    expect(serverWaitMs(H({ 'Retry-After': new Date(now - 5000).toUTCString() }), now)).toBe(0)
    expect(serverWaitMs(H({ 'Retry-After': '2', 'RateLimit-Reset': '7', 'RateLimit-Remaining': '0' }), now)).toBe(7000)
    expect(serverWaitMs(H({ 'Retry-After': '9', 'RateLimit-Reset': '4' }), now)).toBe(9000)
    expect(serverWaitMs(H({ 'RateLimit-Reset': '5', 'RateLimit-Remaining': '0' }), now)).toBe(5000)
    // budget not spent and no Retry-After: no figure
    expect(serverWaitMs(H({ 'RateLimit-Reset': '5', 'RateLimit-Remaining': '100' }), now)).toBeNull()
    expect(serverWaitMs(H({}), now)).toBeNull()
    expect(serverWaitMs(H({ 'Retry-After': 'soon' }), now)).toBeNull()
  })

  it('backs off exponentially with jitter only as a fallback, capped', () => {
    for (let a = 0; a < 10; a++) {
      const v = backoffMs(a, 500, 30_000)
      const ceiling = Math.min(30_000, 500 * 2 ** a)
      expect(v).toBeGreaterThanOrEqual(ceiling / 2)
      expect(v).toBeLessThanOrEqual(ceiling)
    }
  })
})

describe('pacing: the in-flight cap and fleet holds', () => {
  const run = async (pacer: ReturnType<typeof createPacer>, n: number, ms: number) => {
    let live = 0
    let peak = 0
    await Promise.all(Array.from({ length: n }, () => pacer.run(async () => {
      live++
      peak = Math.max(peak, live)
      await new Promise((r) => setTimeout(r, ms))
      live--
    })))
    return peak
  }

  it('never exceeds maxInFlight', async () => {
    expect(await run(createPacer({ maxInFlight: 4 }), 40, 5)).toBe(4)
  })

  it('wakes a waiter as soon as a slot frees, also after its periodic re-checks timed out', async () => {
    vi.useFakeTimers()
    try {
      const pacer = createPacer({ maxInFlight: 1 })
      let releaseA = (): void => {}
      const a = pacer.run(() => new Promise<void>((r) => (releaseA = r)))
      let bStarted = -1
      const b = pacer.run(async () => {
        bStarted = Date.now()
      })
      // B re-checks every 250 ms while A holds the only slot: twice before A ends at 600 ms.
      await vi.advanceTimersByTimeAsync(600)
      const releasedAt = Date.now()
      releaseA()
      await vi.advanceTimersByTimeAsync(1)
      // Woken by A's release, not by its own next re-check 150 ms later.
      expect(bStarted).toBe(releasedAt)
      await vi.advanceTimersByTimeAsync(1000)
      await Promise.all([a, b])
    } finally {
      vi.useRealTimers()
    }
  })

  it('slows to a quarter of the cap while another agent reports a short throttle, and pauses for a long one', async () => {
    const short = createPacer({ maxInFlight: 16, fleetBackoff: () => Date.now() + 2000, pauseThresholdMs: 10_000 })
    expect(await run(short, 40, 10)).toBe(4)
    const t0 = Date.now()
    const long = createPacer({ maxInFlight: 16, fleetBackoff: () => t0 + 800, pauseThresholdMs: 500 })
    await run(long, 4, 1)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(790)
    const over = createPacer({ maxInFlight: 16, fleetBackoff: () => t0 - 1 })
    expect(await run(over, 40, 5)).toBe(16)
  })

  it('a fleet window that arrives late still pauses when 5 s or more of it is left (default thresholds)', async () => {
    let clock = 1_000_000
    const pacer = createPacer({ maxInFlight: 8, now: () => clock, fleetBackoff: () => 1_006_000 })
    let started = false
    const job = pacer.run(async () => { started = true })
    await new Promise((r) => setTimeout(r, 400))
    expect(started).toBe(false)
    clock = 1_006_001 // the window is over
    await job
    expect(started).toBe(true)
    // 3 s left when first seen: short, so slowed to a quarter of the cap, not paused
    const slowed = createPacer({ maxInFlight: 8, now: () => clock, fleetBackoff: () => clock + 3000 })
    await slowed.run(async () => {})
    expect(slowed.stats.maxInFlight).toBe(1)
  })

  it('tells the fleet when it is throttled', () => {
    const seen: number[] = []
    const pacer = createPacer({ onThrottle: (u) => seen.push(u) })
    pacer.throttled(12345, 2000)
    expect(seen).toEqual([12345])
    expect(pacer.stats.throttles).toBe(1)
  })
})

describe('pacing: the request rate (this agent\'s share of TenantRequestsPerMinute)', () => {
  it('spaces requests evenly at the rate, each retry counted, and follows a new rate at once', async () => {
    let rpm = 1200 // one request per 50 ms
    const pacer = createPacer({ maxInFlight: 16, requestsPerMinute: () => rpm })
    const sent: number[] = []
    const t0 = performance.now()
    await Promise.all(Array.from({ length: 11 }, () => pacer.run(async () => void sent.push(performance.now() - t0))))
    // 11 requests: the first at once, then one per 50 ms: about 500 ms in all, never a burst
    expect(sent[10]!).toBeGreaterThanOrEqual(480)
    expect(sent[10]!).toBeLessThan(1500)
    for (let i = 1; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(40)
    expect(pacer.stats.rateWaits).toBeGreaterThan(0)
    // no budget (0): no spacing at all
    rpm = 0
    const t1 = performance.now()
    await Promise.all(Array.from({ length: 20 }, () => pacer.run(async () => undefined)))
    expect(performance.now() - t1).toBeLessThan(100)
  })

  it('gives up a wait for its turn when the request is aborted, and frees the slot', async () => {
    const pacer = createPacer({ maxInFlight: 1, requestsPerMinute: () => 6 }) // one per 10 s
    await pacer.run(async () => undefined)
    const ac = new AbortController()
    const waiting = pacer.run(async () => 'sent', ac.signal)
    setTimeout(() => ac.abort(new Error('stop')), 50)
    await expect(waiting).rejects.toThrow('stop')
    expect(pacer.stats.inFlight).toBe(0)
  })
})
