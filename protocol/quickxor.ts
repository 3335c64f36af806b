/**
 * QuickXorHash, the hash SharePoint Online and OneDrive keep for every file (Microsoft's published
 * algorithm). Pure: no I/O, works on Uint8Array chunks so the engine can feed it while it reads.
 *
 * The hash is a 160-bit register; byte k of the input is XORed in at bit (k * 11) mod 160, wrapping
 * around, and the input length (64-bit little-endian) is XORed into the last 8 bytes at the end. Bytes
 * whose index is equal mod 160 land at the same bit offset, so the hot loop only XORs each byte into a
 * 160-byte accumulator and the shifting is done once, in digest().
 */
const WIDTH_BYTES = 160
const SHIFT = 11
const OUT_BYTES = 20

export class QuickXorHash {
  private readonly acc = new Uint8Array(WIDTH_BYTES)
  private pos = 0
  private length = 0

  update(data: Uint8Array): this {
    const acc = this.acc
    const n = data.length
    let i = 0
    let p = this.pos
    // Head: bring the accumulator index back to 0 so the full blocks below run without a modulo.
    while (i < n && p !== 0) {
      acc[p] = acc[p]! ^ data[i]!
      i++
      p = p + 1 === WIDTH_BYTES ? 0 : p + 1
    }
    const fullEnd = i + Math.floor((n - i) / WIDTH_BYTES) * WIDTH_BYTES
    for (; i < fullEnd; i += WIDTH_BYTES) {
      for (let j = 0; j < WIDTH_BYTES; j++) acc[j] = acc[j]! ^ data[i + j]!
    }
    for (; i < n; i++) {
      acc[p] = acc[p]! ^ data[i]!
      p++
    }
    this.pos = p
    this.length += n
    return this
  }

  /** The 20-byte digest. Does not reset the state. */
  digestBytes(): Uint8Array {
    const out = new Uint8Array(OUT_BYTES)
    for (let j = 0; j < WIDTH_BYTES; j++) {
      const v = this.acc[j]!
      if (v === 0) continue
      const bit = (j * SHIFT) % (OUT_BYTES * 8)
      const byte = bit >> 3
      const off = bit & 7
      out[byte] = out[byte]! ^ ((v << off) & 0xff)
      if (off !== 0) {
        const next = (byte + 1) % OUT_BYTES
        out[next] = out[next]! ^ (v >> (8 - off))
      }
    }
    // Length as 64-bit little-endian into bytes 12..19; Number is exact up to 2^53 (8 PB).
    let len = this.length
    for (let b = 0; b < 8; b++) {
      const idx = OUT_BYTES - 8 + b
      out[idx] = out[idx]! ^ (len % 256)
      len = Math.floor(len / 256)
    }
    return out
  }

  /** Base64 of the digest, the form SharePoint and Graph report (`quickXorHash`). */
  digest(): string {
    return bytesToBase64(this.digestBytes())
  }
}

export function quickXorHash(data: Uint8Array): string {
  return new QuickXorHash().update(data).digest()
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** protocol/ does no I/O and may run outside Node, so no Buffer here. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + '=='
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '='
  }
  return out
}
