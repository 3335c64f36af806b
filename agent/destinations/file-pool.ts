/**
 * A small pool of worker threads that copy small files whole (see file-worker.js). Workers are started
 * on first use, unref'd (they never keep the agent alive); close() keeps idle ones for the next pool
 * (spareSlots) and stops the rest.
 *
 * Two ways in. runBatch() sends a caller's batch (the engine's files of one folder) as one message and
 * gets one answer: the cheap path, one round trip per few dozen files. run() queues a single job and the
 * queue is sent at the end of the current event-loop turn, one message per worker, answered in slices.
 * A job's failure is its own and never fails its neighbours.
 */
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { TempNames } from './temp-names.ts'
import { flushFileSystem } from './file-flush.ts'

export interface SmallCopyJob {
  src: string
  final: string
  size: number
  mtimeMs: number
  overwrite: boolean
  fsync: boolean
  /** The source's device and inode as listed: the worker reads it only if it is that file (see source-read.ts). */
  dev?: number
  ino?: number
  /** Only read `final` and hash it (xxh64): the verification re-read of a large file. */
  hashOnly?: boolean
  /** With hashOnly: read this open descriptor instead of `final` (worker threads share the process's descriptors). */
  fd?: number
}

export type SmallCopyResult =
  | { ok: true; size: number; hash: bigint }
  /** `stopped`: not committed because the batch was stopped (abort, lost lease) before this file's rename. */
  /** `swapped`: the source is not the file listed (message: what it is now). `unflushed`: renamed, but its folder could not be fsync'ed. */
  | { ok: false; kind: 'source' | 'dest' | 'changed' | 'verify' | 'exists' | 'newer' | 'stopped' | 'swapped' | 'unflushed'; code: string; message: string }

/**
 * A batch's answer, as columns: one kind per file (0 = copied), sizes and hashes, and the failures'
 * details. Columns cost a fraction of an array of objects to copy between threads (measured: 32 jobs as
 * objects 16-25 µs a message, as columns 6 µs).
 */
interface BatchReply {
  id: number
  kinds: Uint8Array
  sizes: Float64Array
  hashes: BigUint64Array
  /** [index, code, message] of each file that failed. */
  failures: Array<[number, string, string]>
}
type Reply = ({ id: number } & SmallCopyResult) | BatchReply
/** A worker asking for its file system to be flushed, through `fd`, which it holds open until answered. */
interface FlushAsk {
  flush: number
  dev: number
  fd: number
}

/** Kind codes of a batch reply, by index; 0 is success. Shared with file-worker.js (FAIL_KINDS there). */
const FAIL_KINDS = ['', 'source', 'dest', 'changed', 'verify', 'exists', 'newer', 'stopped', 'swapped', 'unflushed'] as const

function decodeBatch(r: BatchReply): SmallCopyResult[] {
  const out: SmallCopyResult[] = new Array(r.kinds.length)
  for (let i = 0; i < out.length; i++) out[i] = { ok: true, size: r.sizes[i]!, hash: r.hashes[i]! }
  for (const [i, code, message] of r.failures) out[i] = { ok: false, kind: (FAIL_KINDS[r.kinds[i]!] || 'dest') as Exclude<(typeof FAIL_KINDS)[number], ''>, code, message }
  return out
}

interface Slot {
  worker: Worker
  /** The pool using this worker now (a worker outlives its pool as a spare). */
  owner: SmallFilePool | null
  /** Waiting callers by message id: one per single job, one per batch. */
  pending: Map<number, (r: SmallCopyResult | SmallCopyResult[]) => void>
  /** Files sent and not yet answered: what "least busy" compares. */
  load: number
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

/** What the gate refuses with (the abort reason, the lease check's error), or undefined when it is open. */
export function gateError(gate: SendGate | undefined): unknown {
  try {
    gate?.signal?.throwIfAborted()
    gate?.beforeCommit?.()
    return undefined
  } catch (err) {
    return err ?? new Error('refused')
  }
}

/**
 * The worker for a file goes by its destination folder: two workers never create files in one folder at
 * once. They would take turns on the folder's lock for every create and rename, and on this VM the
 * waiting one spins: 20,000 files in 20 folders took 5.5-7.4 s of system CPU spread by least-outstanding
 * against 1.5-1.7 s routed by folder, in the same minutes, for no gain in time when creates were cheap.
 * A folder sticks to its worker while it has files there, and a folder new to the pool goes to the least
 * busy worker: the walk's next folder lands on the idle worker while this one drains, so both work.
 */
export function folderOf(final: string): string {
  return final.slice(0, Math.max(final.lastIndexOf('/'), final.lastIndexOf('\\')) + 1)
}

/**
 * How often running batches' gates are checked: the longest a batch goes on committing after its lease
 * check starts failing (an abort stops it at once). At ~20,000 small files a second on a fast disk, 5 ms
 * is about a hundred files, the order of what the per-file path had queued at its workers.
 */
const STOP_CHECK_MS = 5

/**
 * Workers of pools that closed with nothing in flight, kept for the next pool (the next task's
 * destination), as scan-pool.ts keeps scanners: a worker's boot, module load and warm-up (its code
 * compiled again by V8 in a new isolate) cost 0.2-0.4 s of CPU per 10,000-file task when each task's
 * destination started its own. A worker's temporary names take the prefix of the pool that sends each
 * job, so a spare serves any destination. Unref'd while idle: spares never keep the agent alive.
 */
const spareSlots: Slot[] = []
const MAX_SPARE_SLOTS = 4

export class SmallFilePool {
  private slots: Slot[] = []
  private nextId = 1
  private queue: Queued[] = []
  private flushScheduled = false
  /** Folders with files at a worker, and how many. */
  private folders = new Map<string, { slot: Slot; files: number }>()
  /** Messages sent to workers so far (each carries a batch): for tests and diagnostics. */
  batchesSent = 0

  /** The workers' thread ids, for tests and diagnostics (a spare is handed on, not restarted). */
  get threadIds(): number[] {
    return this.slots.map((s) => s.worker.threadId)
  }

  // Two to four: more workers only queue on the destination folder's lock (measured: 2 beat 4 and 8).
  /** `tempPrefix`: how the workers' temporary names start (TempNames.prefix; default: a name of no agent). */
  constructor(
    private readonly size = Math.min(4, Math.max(2, availableParallelism())),
    private readonly tempPrefix = new TempNames().prefix,
  ) {}

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
   * Copies a batch of files of one destination folder on one worker, in order; one result per job. The
   * gate is checked before the batch leaves and then every STOP_CHECK_MS while it runs; once it fails
   * the worker commits nothing more (a shared flag it reads before each rename) and the rest come back
   * `stopped`. An abort or a failing check before the batch leaves rejects with that error instead.
   * `flushFolders` false: the worker leaves the folder's flush after the renames to the caller (file.ts
   * settle(), once a task), and no file comes back `unflushed`.
   */
  async runBatch(jobs: readonly SmallCopyJob[], gate: SendGate = {}, flushFolders = true): Promise<SmallCopyResult[]> {
    if (jobs.length === 0) return []
    const refused = gateError(gate)
    if (refused !== undefined) throw refused
    this.warm()
    const running = { gate, stop: new Int32Array(new SharedArrayBuffer(4)) }
    const dir = folderOf(jobs[0]!.final)
    const slot = this.enter(dir, jobs.length)
    this.watch(running)
    try {
      const id = this.nextId++
      const answer = new Promise<SmallCopyResult | SmallCopyResult[]>((resolve) => slot.pending.set(id, resolve))
      const n = jobs.length
      const sizes = new Float64Array(n)
      const mtimes = new Float64Array(n)
      const overwrite = new Uint8Array(n)
      // -1: not known, any regular file is read.
      const devs = new Float64Array(n)
      const inos = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        const j = jobs[i]!
        sizes[i] = j.size
        mtimes[i] = j.mtimeMs
        overwrite[i] = j.overwrite ? 1 : 0
        devs[i] = j.dev ?? -1
        inos[i] = j.ino ?? -1
      }
      const columns = { id, prefix: this.tempPrefix, stop: running.stop, srcs: jobs.map((j) => j.src), finals: jobs.map((j) => j.final), sizes, mtimes, overwrite, devs, inos, fsync: jobs.some((j) => j.fsync), folders: flushFolders }
      slot.worker.ref()
      slot.worker.postMessage(columns, [sizes.buffer, mtimes.buffer, overwrite.buffer, devs.buffer, inos.buffer])
      this.batchesSent++
      const r = await answer
      // A worker that died answers the batch with one error: every file gets it.
      return Array.isArray(r) ? r : jobs.map(() => r)
    } finally {
      this.running.delete(running)
      this.leave(dir, jobs.length)
    }
  }

  /** Batches at a worker and their stop flags; one timer checks their gates while any runs. */
  private running = new Set<{ gate: SendGate; stop: Int32Array }>()
  private checker: NodeJS.Timeout | null = null

  private watch(r: { gate: SendGate; stop: Int32Array }): void {
    this.running.add(r)
    // An abort stops the batches at once; one listener per signal, not per batch.
    const signal = r.gate.signal
    if (signal && !this.listening.has(signal)) {
      this.listening.add(signal)
      signal.addEventListener('abort', () => this.checkRunning(), { once: true })
    }
    if (this.checker) return
    this.checker = setInterval(() => {
      if (this.running.size > 0) return this.checkRunning()
      clearInterval(this.checker!)
      this.checker = null
    }, STOP_CHECK_MS)
    this.checker.unref()
  }

  private listening = new WeakSet<AbortSignal>()

  private checkRunning(): void {
    for (const { gate, stop } of this.running) if (gateError(gate) !== undefined) Atomics.store(stop, 0, 1)
  }

  /** The slot for files of `dir`: the one already writing there, else the least busy. */
  private enter(dir: string, files: number): Slot {
    let f = this.folders.get(dir)
    if (!f || !this.slots.includes(f.slot)) {
      let slot = this.slots[0]!
      for (const s of this.slots) if (s.load < slot.load) slot = s
      f = { slot, files: 0 }
      this.folders.set(dir, f)
    }
    f.files += files
    f.slot.load += files
    return f.slot
  }

  private leave(dir: string, files: number): void {
    const f = this.folders.get(dir)
    if (!f) return
    f.slot.load -= files
    f.files -= files
    if (f.files <= 0) this.folders.delete(dir)
  }

  /**
   * xxh64 and size of a file read whole by its name, on a worker: large files are re-read there for
   * verification so the main thread, which hashes the source stream, does not hash every byte twice.
   */
  hashFile(file: string): Promise<SmallCopyResult> {
    return this.run({ src: '', final: file, size: 0, mtimeMs: 0, overwrite: false, fsync: false, hashOnly: true })
  }

  /**
   * The same for a file the caller holds open, read through its descriptor (positional reads; worker
   * threads share the process's descriptors): the very file the caller checked, whatever its name points
   * at now. The caller keeps `fd` open until this answers.
   */
  hashFd(fd: number, label: string): Promise<SmallCopyResult> {
    return this.run({ src: '', final: label, size: 0, mtimeMs: 0, overwrite: false, fsync: false, hashOnly: true, fd })
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
    const batches = new Map<Slot, Array<{ id: number; prefix: string } & SmallCopyJob>>()
    for (const q of queue) {
      const refused = gateError(q.gate)
      if (refused !== undefined) {
        q.reject(refused)
        continue
      }
      let slot: Slot
      if (q.job.hashOnly) {
        // A hash creates nothing: it goes to the least busy worker.
        slot = this.slots[0]!
        for (const s of this.slots) if (s.load < slot.load) slot = s
        slot.load++
        slot.pending.set(q.id, (r) => {
          slot.load--
          q.resolve(r as SmallCopyResult)
        })
      } else {
        const dir = folderOf(q.job.final)
        slot = this.enter(dir, 1)
        slot.pending.set(q.id, (r) => {
          this.leave(dir, 1)
          q.resolve(r as SmallCopyResult)
        })
      }
      let batch = batches.get(slot)
      if (!batch) batches.set(slot, (batch = []))
      batch.push({ id: q.id, prefix: this.tempPrefix, ...q.job })
    }
    for (const [slot, batch] of batches) {
      slot.worker.ref()
      slot.worker.postMessage(batch)
      this.batchesSent++
    }
  }

  private start(): void {
    while (this.slots.length < this.size && spareSlots.length > 0) {
      const slot = spareSlots.pop()!
      slot.owner = this
      this.slots.push(slot)
    }
    for (let i = this.slots.length; i < this.size; i++) {
      // Each worker's names: the sending pool's prefix, then the worker's own random part and a counter.
      const worker = new Worker(new URL('./file-worker.js', import.meta.url), { workerData: { tag: randomBytes(3).toString('hex') } })
      const slot: Slot = { worker, owner: this, pending: new Map(), load: 0 }
      worker.on('message', (replies: Reply | Reply[] | FlushAsk) => {
        if ('flush' in replies) {
          // A worker's group waits for its data or names to be on disk (file-flush.ts).
          const ask = replies
          void flushFileSystem(ask.dev, ask.fd).then((answer) => worker.postMessage({ flushed: ask.flush, answer }))
          return
        }
        for (const m of Array.isArray(replies) ? replies : [replies]) {
          const done = slot.pending.get(m.id)
          slot.pending.delete(m.id)
          done?.('kinds' in m ? decodeBatch(m) : m)
        }
        if (slot.pending.size === 0) worker.unref()
      })
      worker.on('error', (err) => {
        for (const done of slot.pending.values()) done({ ok: false, kind: 'dest', code: 'WORKER', message: `copy worker failed: ${err.message}` })
        slot.pending.clear()
        if (slot.owner) slot.owner.slots = slot.owner.slots.filter((s) => s !== slot)
        slot.owner = null
        const spare = spareSlots.indexOf(slot)
        if (spare >= 0) spareSlots.splice(spare, 1)
      })
      worker.unref()
      this.slots.push(slot)
    }
  }

  async close(): Promise<void> {
    if (this.checker) clearInterval(this.checker)
    this.checker = null
    const slots = this.slots
    this.slots = []
    const stop: Slot[] = []
    for (const s of slots) {
      s.owner = null
      // A worker with a batch still at it is not handed on: its answers would go to no one.
      if (s.pending.size === 0 && s.load === 0 && spareSlots.length < MAX_SPARE_SLOTS) {
        s.worker.unref()
        spareSlots.push(s)
      } else stop.push(s)
    }
    await Promise.all(stop.map((s) => s.worker.terminate()))
  }
}
