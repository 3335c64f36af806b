import { createRequire } from 'node:module'
import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { installPnetChunking } from './pnet-chunking.ts'

describe('pnet cipher chunking', () => {
  it('encrypts a buffer larger than the cipher memory, identically to small slices', () => {
    installPnetChunking()
    const require = createRequire(import.meta.resolve('@libp2p/pnet'))
    const xsalsa20 = require('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => { update(i: Uint8Array): Uint8Array }
    const nonce = crypto.randomBytes(24)
    const key = crypto.randomBytes(32)
    const big = crypto.randomBytes(3 * 1024 * 1024 + 17)
    const whole = xsalsa20(nonce, key).update(big)
    const sliced = xsalsa20(nonce, key)
    const parts = [big.subarray(0, 1000), big.subarray(1000, 70_001), big.subarray(70_001)].map((p) => Buffer.from(sliced.update(p)))
    // Buffer.equals: vitest's deep equality on megabytes is very slow
    expect(Buffer.from(whole).equals(Buffer.concat(parts))).toBe(true)
    // decrypting restores the input
    expect(Buffer.from(xsalsa20(nonce, key).update(whole)).equals(big)).toBe(true)
  })
})
