/**
 * A small seeded PRNG (mulberry32): every random choice of a chaos run comes from it, so the printed
 * seed replays the same fault schedule, shares and edits (timings still vary with the machine).
 */
export class Rng {
  private s: number
  constructor(readonly seed: number) {
    this.s = seed >>> 0
  }

  /** uniform in [0, 1) */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** integer in [min, max] */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error('pick from an empty list')
    return list[Math.floor(this.next() * list.length)]!
  }

  shuffle<T>(list: readonly T[]): T[] {
    const out = [...list]
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      ;[out[i], out[j]] = [out[j]!, out[i]!]
    }
    return out
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i += 4) {
      const v = (this.next() * 4294967296) >>> 0
      for (let k = 0; k < 4 && i + k < n; k++) b[i + k] = (v >>> (k * 8)) & 0xff
    }
    return b
  }

  /** A fresh independent stream (e.g. one for content, one for the fault schedule). */
  fork(): Rng {
    return new Rng((this.next() * 4294967296) >>> 0)
  }
}

/** A seed from the clock when none is given (printed so the run can be replayed). */
export function freshSeed(): number {
  return (Date.now() ^ (process.pid << 16)) >>> 0
}
