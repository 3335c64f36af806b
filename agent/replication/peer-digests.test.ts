import { describe, expect, it } from 'vitest'
import { PeerDigests } from './peer-digests.ts'

describe('peer digests', () => {
  it('keeps each peer\'s newest digest and drops one that arrives after a newer', () => {
    const d = new PeerDigests()
    expect(d.record('p', 5n, new Uint8Array([5]))).toBe(true)
    expect(d.record('p', 3n, new Uint8Array([3]))).toBe(false)
    expect(d.record('p', 5n, new Uint8Array([9]))).toBe(false)
    expect([...d.get('p')!]).toEqual([5])
    expect(d.record('p', 7n, new Uint8Array([7]))).toBe(true)
    expect([...d.get('p')!]).toEqual([7])
    expect(d.record('q', 1n, new Uint8Array([1]))).toBe(true)
    expect(d.get('r')).toBeUndefined()
  })

  it('keeps a copy, not the caller\'s buffer', () => {
    const d = new PeerDigests()
    const buf = new Uint8Array([1, 2])
    d.record('p', 1n, buf)
    buf[0] = 9
    expect([...d.get('p')!]).toEqual([1, 2])
  })
})
