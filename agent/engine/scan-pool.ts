/**
 * The scan worker (scan-worker.js): a thread that lists source folders, started on first use and unref'd
 * while idle so it never keeps the process alive. list() answers null when the worker cannot run; the
 * caller then lists the folder on its own thread. Each pass over a source has its own (createScanner,
 * given back by releaseScanner when the pass ends): a share that hangs a listing holds up its own task,
 * not the agent's others. Idle workers are reused by later passes, so a pass rarely waits for a boot.
 */
import path from 'node:path'
import { SHARE_ENV, Worker } from 'node:worker_threads'
/** What a non-regular, non-folder entry is, for the item report (never opened, never followed). */
export type SpecialKind = 'symlink' | 'fifo' | 'socket' | 'block-device' | 'char-device'

/** A folder as its parent's listing saw it. */
export interface FolderIdentity {
  dev: number
  ino: number
}

/** One entry of a listed source folder. */
export interface SourceEntry {
  name: string
  /** Absolute local path. */
  localPath: string
  kind: 'file' | 'folder' | 'other'
  /** For kind 'other': what it is, for the item report (never opened, never followed); else null. */
  special: SpecialKind | null
  size: number
  mtimeMs: number
  birthtimeMs: number | null
  /** Owning uid (the source owner for the user-mapping file, see owner.ts); null where unknown. */
  uid: number | null
  /**
   * Device and inode as listed: whoever reads the entry checks the file (or folder) it opened is this
   * one, not something swapped in since. Numbers, as Node's Stats give them (exact up to 2^53; beyond,
   * equal inodes still compare equal).
   */
  dev: number
  ino: number
  hidden: boolean
  /** Set when the entry's metadata could not be read. */
  error: string | null
}

interface Listing {
  id: number
  ok: true
  names: string[]
  kind: Uint8Array
  size: Float64Array
  mtimeMs: Float64Array
  birthtimeMs: Float64Array
  /** owning uid, -1 where unknown */
  uid: Float64Array
  dev: Float64Array
  ino: Float64Array
  errors: Array<[number, string]>
}
type Reply = Listing | { id: number; ok: false; code: string; message: string } | { id: number; progress: number }

/**
 * A listing with no sign of progress for this long is given up (ETIMEDOUT) and its worker replaced: the
 * folder fails and the walk goes on. A server that stops answering (a DFS link to a machine that is gone,
 * a hard-mounted share whose server died) otherwise blocks the system call, and the task, for ever. A
 * long listing is not silence: the worker reports every 1,000 entries.
 */
export const LISTING_STALL_MS = 5 * 60_000

/** scan-list.js's kind codes: 0 file, 1 folder, 2 and up not migrated (3 and up say what they are). */
const KINDS = ['file', 'folder', 'other', 'other', 'other', 'other', 'other', 'other'] as const
const SPECIALS = [null, null, null, 'symlink', 'fifo', 'socket', 'block-device', 'char-device'] as const

/** The engine's own scan worker script. */
export const SCAN_WORKER = new URL('./scan-worker.js', import.meta.url)

export class Scanner {
  private worker: Worker | null = null
  private closed = false
  private broken = false
  private online = false
  private nextId = 1
  /** Folders the worker listed (the rest were listed on the caller's thread): for tests and diagnostics. */
  listedByWorker = 0
  private pending = new Map<number, { dir: string; resolve: (v: SourceEntry[] | null) => void; reject: (err: unknown) => void }>()
  /** See LISTING_STALL_MS; a pass may set its own. */
  stallMs = LISTING_STALL_MS
  private lastSign = 0
  private watchdog: NodeJS.Timeout | null = null

  /** `workerUrl`: the worker script, speaking scan-worker.js's messages (tests give one that can stall). */
  constructor(readonly workerUrl: URL = SCAN_WORKER) {}

  /**
   * Lists `dir`. `expect`: the folder as its parent's listing saw it (device and inode); the listing
   * fails with ECHANGED when `dir` is not that folder any more (a link or another folder swapped in).
   */
  async list(dir: string, expect?: FolderIdentity | null): Promise<SourceEntry[] | null> {
    if (this.closed) throw Object.assign(new Error('the scanner was closed'), { name: 'AbortError' })
    const worker = this.start()
    // The first listing waits for the worker to boot (~50-150 ms) rather than taking the main thread:
    // the first folders are often the largest.
    if (!this.online && !this.broken) {
      // Referenced while booting: an unref'd worker would let a process with nothing else to do exit here.
      worker.ref()
      await this.booted
      if (this.pending.size === 0) worker.unref()
    }
    if (this.broken) return null
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { dir, resolve, reject })
      worker.ref()
      worker.postMessage(expect ? { id, dir, dev: expect.dev, ino: expect.ino } : { id, dir })
      this.lastSign = Date.now()
      this.watch()
    })
  }

  private watch(): void {
    if (this.watchdog) return
    this.watchdog = setInterval(() => {
      if (this.pending.size === 0) return this.unwatch()
      if (Date.now() - this.lastSign >= this.stallMs) this.giveUp()
    }, Math.max(10, Math.min(10_000, this.stallMs / 4)))
    this.watchdog.unref()
  }

  private unwatch(): void {
    if (this.watchdog) clearInterval(this.watchdog)
    this.watchdog = null
  }

  /**
   * The worker is stuck in a system call: its listings fail with ETIMEDOUT and the next listing gets a
   * new worker. The stuck thread ends when its call returns, if ever; nothing waits for it.
   */
  private giveUp(): void {
    this.unwatch()
    const seconds = (this.stallMs / 1000).toFixed(this.stallMs < 10_000 ? 1 : 0)
    for (const p of this.pending.values()) p.reject(Object.assign(new Error(`the share did not answer for ${seconds} s while ${p.dir} was listed`), { code: 'ETIMEDOUT' }))
    this.pending.clear()
    const worker = this.worker
    this.worker = null
    this.online = false
    if (worker) void worker.terminate().catch(() => undefined)
  }

  private booted: Promise<void> = Promise.resolve()

  /** Starts the worker now (it boots in ~50-150 ms), so it is ready by the first listing. */
  warm(): void {
    if (!this.closed) this.start()
  }

  /** No listing is waiting: the worker is not stuck on a share. */
  get idle(): boolean {
    return this.pending.size === 0 && !this.closed && !this.broken
  }

  /**
   * Stops the worker. Listings still waiting fail with an AbortError. Not awaited: a worker stuck in a
   * system call on a hung share ends when the call returns, and nothing needs to wait for that.
   */
  close(): void {
    this.closed = true
    this.unwatch()
    const worker = this.worker
    this.worker = null
    for (const p of this.pending.values()) p.reject(Object.assign(new Error('the scanner was closed'), { name: 'AbortError' }))
    this.pending.clear()
    if (worker) void worker.terminate().catch(() => undefined)
  }

  private start(): Worker {
    if (this.worker) return this.worker
    // SHARE_ENV: the worker sees the process's environment as it is now, not a copy from its start.
    const worker = new Worker(this.workerUrl, { env: SHARE_ENV })
    let booted = () => {}
    this.booted = new Promise<void>((resolve) => (booted = resolve))
    worker.once('online', () => {
      this.online = true
      booted()
    })
    worker.on('message', (m: Reply) => {
      if ('progress' in m) {
        if (this.worker === worker) this.lastSign = Date.now()
        return
      }
      const p = this.pending.get(m.id)
      this.pending.delete(m.id)
      if (this.pending.size === 0) worker.unref()
      if (!p) return
      if (m.ok) {
        this.listedByWorker++
        p.resolve(entries(p.dir, m))
      }
      else p.reject(Object.assign(new Error(m.message), { code: m.code || undefined }))
    })
    worker.on('error', () => {
      if (this.worker !== worker) return
      // The folders asked for are listed on the main thread instead, and so is everything after.
      this.broken = true
      booted()
      for (const p of this.pending.values()) p.resolve(null)
      this.pending.clear()
    })
    worker.unref()
    this.worker = worker
    return worker
  }
}

function entries(dir: string, m: Listing): SourceEntry[] {
  const out: SourceEntry[] = new Array(m.names.length)
  // A name from readdir has no separator and is never '.' or '..': concatenation is what path.join
  // would give, at a fraction of its cost per entry.
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep
  for (let i = 0; i < m.names.length; i++) {
    const name = m.names[i]!
    const code = m.kind[i]!
    const kind = KINDS[code] ?? 'other'
    const birth = m.birthtimeMs[i]!
    out[i] = {
      name,
      localPath: prefix + name,
      kind,
      special: SPECIALS[code] ?? null,
      size: m.size[i]!,
      mtimeMs: m.mtimeMs[i]!,
      // 0 means the filesystem does not know (no statx birth time).
      birthtimeMs: birth > 0 ? birth : null,
      uid: m.uid[i]! >= 0 ? m.uid[i]! : null,
      dev: m.dev[i]!,
      ino: m.ino[i]!,
      hidden: name.startsWith('.'),
      error: null,
    }
  }
  for (const [i, code] of m.errors) {
    const e = out[i]!
    e.kind = 'other'
    e.mtimeMs = 0
    e.birthtimeMs = null
    e.uid = null
    e.special = null
    e.error = code
  }
  return out
}

/**
 * Scanners of passes that ended with no listing waiting, kept for the next pass: a pass gets a worker
 * that has already booted, and a worker stuck on a hung share is never handed on (it is closed).
 */
const spare: Scanner[] = []
const MAX_SPARE = 4

/** A scan worker for one pass, its own while the pass runs; give it back with releaseScanner. */
export function createScanner(options: { stallMs?: number; workerUrl?: URL } = {}): Scanner {
  const url = options.workerUrl ?? SCAN_WORKER
  const i = spare.findLastIndex((x) => x.workerUrl.href === url.href)
  const s = i >= 0 ? spare.splice(i, 1)[0]! : new Scanner(url)
  s.stallMs = options.stallMs ?? LISTING_STALL_MS
  s.warm()
  return s
}

/** The pass is over: an idle scanner is kept for the next pass, one with a listing still waiting is closed. */
export function releaseScanner(s: Scanner): void {
  if (s.idle && spare.length < MAX_SPARE && !spare.includes(s)) spare.push(s)
  else s.close()
}

/** For callers without a pass of their own (tests, one-off listings). */
export const sharedScanner = new Scanner()
