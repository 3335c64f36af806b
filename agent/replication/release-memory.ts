/**
 * Gives memory back after a large ledger write. A catch-up of tens of MB (a fresh agent pulling a
 * 100,000-task ledger) leaves as many MB of buffers that are garbage once applied and stored; an agent
 * that then goes quiet may not run a full GC for minutes, so its resident memory stays that much higher
 * (measured: 452 MB before, 383 MB after one GC, holding 100,000 tasks); so does encoding one for a peer.
 * One full collection a second after such a write or transfer, at most one per 10 s, is cheap next to it
 * (~0.1-0.2 s for a 200 MB heap). `gc` is obtained the way
 * Jest does it: expose it through a V8 flag and read it from a fresh context.
 */
import v8 from 'node:v8'
import vm from 'node:vm'

export interface MemoryReleaser {
  /** A write or transfer of `bytes` just finished; collects once soon when those since the last were large. */
  afterWrite(bytes: number): void
  stop(): void
}

export const LARGE_WRITE_BYTES = 8 * 1024 * 1024

export function createMemoryReleaser(opts: { delayMs?: number; minIntervalMs?: number } = {}): MemoryReleaser {
  const delayMs = opts.delayMs ?? 1000
  const minIntervalMs = opts.minIntervalMs ?? 10_000
  const gc = obtainGc()
  let timer: NodeJS.Timeout | null = null
  let last = -Infinity
  // counted since the last collection: a catch-up now arrives and is stored in parts of under 1 MB
  let written = 0
  return {
    afterWrite(bytes) {
      written += bytes
      if (!gc || written < LARGE_WRITE_BYTES || timer) return
      const wait = Math.max(delayMs, last + minIntervalMs - performance.now())
      timer = setTimeout(() => {
        timer = null
        last = performance.now()
        written = 0
        gc()
      }, wait)
      timer.unref()
    },
    stop() {
      if (timer) clearTimeout(timer)
      timer = null
    },
  }
}

function obtainGc(): (() => void) | null {
  const existing = (globalThis as { gc?: () => void }).gc
  if (typeof existing === 'function') return existing
  try {
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc') as unknown
    return typeof gc === 'function' ? (gc as () => void) : null
  } catch {
    return null
  }
}
