import { describe, expect, it } from 'vitest'
import { MAX_PEER_BACKOFF_MS, createFleetBackoff } from './fleet-backoff.ts'

describe('fleet back-off from peers', () => {
  it('honours a peer\'s back-off up to the Retry-After it quotes', () => {
    const clock = { now: 1_000_000 }
    const b = createFleetBackoff(() => clock.now)
    const until = new Date(clock.now + 60_000).toISOString()
    expect(b.peerUntil('p', { backoffUntil: until, backoffForMs: 60_000 })).toBe(clock.now + 60_000)
    // quoting less than it advertises: the quote wins
    expect(b.peerUntil('q', { backoffUntil: new Date(clock.now + 3_600_000).toISOString(), backoffForMs: 30_000 })).toBe(clock.now + 30_000)
  })

  it('caps an oversized back-off at 15 minutes from when it was first seen, also when it is re-sent', () => {
    const clock = { now: 5_000_000 }
    const b = createFleetBackoff(() => clock.now)
    const fields = { backoffUntil: '2099-01-01T00:00:00.000Z', backoffForMs: 1e12 }
    const first = b.peerUntil('evil', fields)
    expect(first).toBe(5_000_000 + MAX_PEER_BACKOFF_MS)
    clock.now += 10 * 60_000 // the same heartbeat keeps arriving
    expect(b.peerUntil('evil', fields)).toBe(first)
    clock.now += 6 * 60_000
    expect(b.peerUntil('evil', fields)).toBeLessThan(clock.now) // over: work goes on
  })

  it('ignores a value that is not a time', () => {
    const b = createFleetBackoff(() => 0)
    expect(b.peerUntil('p', { backoffUntil: '~' })).toBe(0)
    expect(b.peerUntil('p', { backoffUntil: 12 })).toBe(0)
  })
})
