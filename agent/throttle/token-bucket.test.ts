import { describe, expect, it } from 'vitest'
import { createTokenBucket } from './token-bucket.ts'

describe('createTokenBucket', () => {
  it('lets bytes through at the rate, whatever the chunk size', async () => {
    const rate = 4_000_000 // bytes/s
    const bucket = createTokenBucket({ rate: () => rate })
    const t0 = performance.now()
    let sent = 0
    for (const chunk of [100_000, 700_000, 50_000, 1_150_000]) {
      await bucket.take(chunk)
      sent += chunk
    }
    const seconds = (performance.now() - t0) / 1000
    // 2,000,000 bytes at 4 MB/s: 0.5 s (timers round up a little)
    expect(sent / seconds).toBeLessThanOrEqual(rate * 1.02)
    expect(sent / seconds).toBeGreaterThan(rate * 0.8)
  })

  it('is a no-op without a limit, follows a changed limit, and stops waiting on abort', async () => {
    let rate: number | null = null
    const bucket = createTokenBucket({ rate: () => rate })
    expect(bucket.active).toBe(false)
    const t0 = performance.now()
    await bucket.take(1e12)
    expect(performance.now() - t0).toBeLessThan(50)
    rate = 1000
    expect(bucket.active).toBe(true)
    const ac = new AbortController()
    const waiting = bucket.take(1_000_000, ac.signal) // 1000 s at this rate
    setTimeout(() => ac.abort(new Error('paused')), 50)
    await expect(waiting).rejects.toThrow('paused')
    rate = null
    await bucket.take(5) // the queue goes on after an aborted taker
  })
})
