/**
 * A small pool of worker threads that copy small files whole (see file-worker.js). Workers are started
 * on first use, unref'd (they never keep the agent alive) and stopped by close().
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

export interface SmallCopyJob {
  src: string
  tmp: string
  final: string
  size: number
  mtimeMs: number
  overwrite: boolean
  fsync: boolean
}

export type SmallCopyResult = { ok: true; size: number; hash: bigint } | { ok: false; kind: 'source' | 'dest' | 'changed' | 'verify' | 'exists'; code: string; message: string }

interface Slot {
  worker: Worker
  pending: Map<number, (r: SmallCopyResult) => void>
}

export class SmallFilePool {
  private slots: Slot[] = []
  private nextId = 1

  // Two to four: more workers only queue on the destination folder's lock (measured: 2 beat 4 and 8).
  constructor(private readonly size = Math.min(4, Math.max(2, availableParallelism()))) {}

  run(job: SmallCopyJob): Promise<SmallCopyResult> {
    if (this.slots.length === 0) this.start()
    let slot = this.slots[0]!
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s
    const id = this.nextId++
    return new Promise((resolve) => {
      slot.pending.set(id, resolve)
      if (slot.pending.size === 1) slot.worker.ref()
      slot.worker.postMessage({ id, ...job })
    })
  }

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(new URL('./file-worker.js', import.meta.url))
      const slot: Slot = { worker, pending: new Map() }
      worker.on('message', (m: { id: number } & SmallCopyResult) => {
        const done = slot.pending.get(m.id)
        slot.pending.delete(m.id)
        if (slot.pending.size === 0) worker.unref()
        done?.(m)
      })
      worker.on('error', (err) => {
        for (const done of slot.pending.values()) done({ ok: false, kind: 'dest', code: 'WORKER', message: `copy worker failed: ${err.message}` })
        slot.pending.clear()
        this.slots = this.slots.filter((s) => s !== slot)
      })
      worker.unref()
      this.slots.push(slot)
    }
  }

  async close(): Promise<void> {
    const slots = this.slots
    this.slots = []
    await Promise.all(slots.map((s) => s.worker.terminate()))
  }
}
