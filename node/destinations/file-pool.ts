/**
 * A small pool of worker threads that copy small files whole (see file-worker.js). Workers are started
 * on first use, unref'd (they never keep the agent alive) and stopped by close().
 *
 * Jobs are batched: run() queues a job and the queue is sent at the end of the current event-loop turn,
 * one message per worker. A worker answers in slices of a few results, one result per job; a job's
 * failure is its own and never fails its neighbours.
 */
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

/** Names the destination hides and deletes as leftovers of a killed run. */
export const TEMP_PREFIX = '.mmesh-tmp-'

export interface SmallCopyJob {
  src: string
  final: string
  size: number
  mtimeMs: number
  overwrite: boolean
  fsync: boolean
  /** Only read `final` and hash it (xxh64): the verification re-read of a large file. */
  hashOnly?: boolean
}

export type SmallCopyResult = { ok: true; size: number; hash: bigint } | { ok: false; kind: 'source' | 'dest' | 'changed' | 'verify' | 'exists' | 'newer'; code: string; message: string }

type Reply = { id: number } & SmallCopyResult

interface Slot {
  worker: Worker
  pending: Map<number, (r: SmallCopyResult) => void>
}

interface Queued {
  id: number
  job: SmallCopyJob
  resolve: (r: SmallCopyResult) => void
  reject: (err: unknown) => void
  gate?: SendGate
}

/** Checked right before a job leaves for its worker. */
export interface SendGate {
  signal?: AbortSignal
  /** The lease check: throwing keeps the job from being sent. */
  beforeCommit?: () => void
}

/**
 * The worker for a file, by its destination folder: two workers never create files in one folder at
 * once. They would take turns on the folder's lock for every create and rename, and on this VM the
 * waiting one spins: 20,000 files in 20 folders took 5.5-7.4 s of system CPU spread by least-outstanding
 * against 1.5-1.7 s routed by folder, in the same minutes, for no gain in time when creates were cheap.
 * A walk works one folder at a time; the next folder's files go to another worker as this one drains.
 */
function slotOf(final: string, slots: number): number {
  const dir = final.slice(0, final.lastIndexOf('/') + 1)
  let h = 0
  for (let i = 0; i < dir.length; i++) h = (h * 31 + dir.charCodeAt(i)) | 0
  return (h >>> 0) % slots
}

export class SmallFilePool {
  private slots: Slot[] = []
  private nextId = 1
  private queue: Queued[] = []
  private flushScheduled = false
  /** Messages sent to workers so far (each carries a batch): for tests and diagnostics. */
  batchesSent = 0

  // Two to four: more workers only queue on the destination folder's lock (measured: 2 beat 4 and 8).
  constructor(private readonly size = Math.min(4, Math.max(2, availableParallelism()))) {}

  /**
   * Copies one file. The gate is checked right before the job leaves for its worker (the last moment the
   * main thread sees it before the rename): an aborted signal or a failing lease check keeps it from
   * being sent, and the promise rejects with that error.
   */
  run(job: SmallCopyJob, gate?: SendGate): Promise<SmallCopyResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject, gate })
      if (!this.flushScheduled) {
        this.flushScheduled = true
        // setImmediate, not a microtask: every copy the engine starts in this turn joins the batch.
        setImmediate(() => this.flush())
      }
    })
  }

  /**
   * xxh64 and size of a file read whole by its name, on a worker: large files are re-read there for
   * verification so the main thread, which hashes the source stream, does not hash every byte twice.
   */
  hashFile(file: string): Promise<SmallCopyResult> {
    return this.run({ src: '', final: file, size: 0, mtimeMs: 0, overwrite: false, fsync: false, hashOnly: true })
  }

  /** Starts the workers now (they take ~50-150 ms to boot), so they are ready when the first files come. */
  warm(): void {
    if (this.slots.length === 0) this.start()
  }

  private flush(): void {
    this.flushScheduled = false
    const queue = this.queue
    this.queue = []
    this.warm()
    const batches = new Map<Slot, Array<{ id: number } & SmallCopyJob>>()
    for (const q of queue) {
      try {
        q.gate?.signal?.throwIfAborted()
        q.gate?.beforeCommit?.()
      } catch (err) {
        q.reject(err)
        continue
      }
      let slot = this.slots[slotOf(q.job.final, this.slots.length)]!
      // A hash creates nothing: it goes to the least busy worker.
      if (q.job.hashOnly) for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s
      slot.pending.set(q.id, q.resolve)
      let batch = batches.get(slot)
      if (!batch) batches.set(slot, (batch = []))
      batch.push({ id: q.id, ...q.job })
    }
    for (const [slot, batch] of batches) {
      slot.worker.ref()
      slot.worker.postMessage(batch)
      this.batchesSent++
    }
  }

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(new URL('./file-worker.js', import.meta.url), { workerData: { tmpPrefix: `${TEMP_PREFIX}${randomBytes(6).toString('hex')}` } })
      const slot: Slot = { worker, pending: new Map() }
      worker.on('message', (replies: Reply[]) => {
        for (const m of replies) {
          const done = slot.pending.get(m.id)
          slot.pending.delete(m.id)
          done?.(m)
        }
        if (slot.pending.size === 0) worker.unref()
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
