import { describe, expect, it } from 'vitest'
import { PeerCounts } from './peer-counts.ts'

describe('PeerCounts', () => {
  it('keeps a peer marked until the last of its overlapping operations ends', () => {
    const c = new PeerCounts()
    c.add('a')
    c.add('a')
    c.add('b')
    c.delete('a')
    expect(c.has('a')).toBe(true)
    c.delete('a')
    expect(c.has('a')).toBe(false)
    expect(c.has('b')).toBe(true)
    // an extra delete does not go negative and hide the next add
    c.delete('a')
    c.add('a')
    expect(c.has('a')).toBe(true)
  })
})
