/**
 * Bytes copied per agent over time, from item records (status Migrated, `at`, `size`, `device`), for the
 * throughput chart of report.html when presence samples are not at hand. Buckets widen as the run's span
 * grows, so memory stays bounded however many items stream through.
 */
import type { ItemRecord } from './items.ts'

export interface ThroughputSample {
  t: string
  bytesPerSec: number
}
export type ThroughputSeries = Record<string, ThroughputSample[]>

const MAX_BUCKETS = 20_000
const MAX_DEVICES = 200

export class ThroughputTally {
  private width = 5_000
  private buckets = new Map<string, Map<number, number>>()
  private count = 0

  add(i: Pick<ItemRecord, 'status' | 'at' | 'size' | 'device'>): void {
    if (i.status !== 'Migrated' || !(i.size > 0)) return
    const ms = Date.parse(i.at)
    if (!Number.isFinite(ms)) return
    let dev = this.buckets.get(i.device)
    if (!dev) {
      if (this.buckets.size >= MAX_DEVICES) return
      this.buckets.set(i.device, (dev = new Map()))
    }
    const b = Math.floor(ms / this.width)
    const prev = dev.get(b)
    if (prev === undefined) this.count++
    dev.set(b, (prev ?? 0) + i.size)
    if (this.count > MAX_BUCKETS) this.coarsen()
  }

  private coarsen(): void {
    this.width *= 2
    this.count = 0
    for (const [name, dev] of this.buckets) {
      const next = new Map<number, number>()
      for (const [b, bytes] of dev) {
        const nb = Math.floor(b / 2)
        next.set(nb, (next.get(nb) ?? 0) + bytes)
      }
      this.count += next.size
      this.buckets.set(name, next)
    }
  }

  /** Series per agent with at most `maxPoints` points each, on a common bucket grid, gaps as zero. */
  series(maxPoints = 120): ThroughputSeries {
    let lo = Infinity
    let hi = -Infinity
    for (const dev of this.buckets.values()) for (const b of dev.keys()) (lo = Math.min(lo, b)), (hi = Math.max(hi, b))
    const out: ThroughputSeries = {}
    if (!Number.isFinite(lo)) return out
    const factor = Math.max(1, Math.ceil((hi - lo + 1) / maxPoints))
    const width = this.width * factor
    const n = Math.floor((hi - lo) / factor) + 1
    for (const [name, dev] of this.buckets) {
      const sums = new Array<number>(n).fill(0)
      for (const [b, bytes] of dev) sums[Math.floor((b - lo) / factor)]! += bytes
      out[name] = sums.map((bytes, k) => ({
        t: new Date((lo + k * factor) * this.width).toISOString(),
        bytesPerSec: bytes / (width / 1000),
      }))
    }
    return out
  }
}
