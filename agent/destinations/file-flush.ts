/**
 * The copy workers' file system flushes (file-worker.js step 3 and the folders' flush), run here on the
 * main thread for the whole agent: one `sync -f` at a time per file system, shared by every batch of
 * every worker waiting at that moment (a group commit). Each worker used to run its own, so two flushes
 * of one file system ran side by side all through a task, each writing back and committing what the
 * other had just written too (10,000 × 4 KB: ~108 flushes of 20-35 ms a task with two workers).
 *
 * The flush is coreutils' `sync -f PATH` (syncfs(2)), run by one long-lived shell that reads paths on its
 * standard input: forking this big process for each flush cost 10-15 ms, forking the small shell costs it
 * nothing. The path is /proc/PID/fd/N of a descriptor the asking worker holds open on that file system
 * until it is answered (worker threads share the process's descriptors), so no name from a share (which
 * may hold a line feed) is ever written to the shell.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'

/** Where syncfs can be asked for by descriptor. Elsewhere the workers flush each file with fdatasync. */
export const SYNCFS = process.platform === 'linux' && existsSync(`/proc/${process.pid}/fd`)

/** A flush's answer to a worker: null when done, else why not; `unavailable`: no later flush will work either. */
export type FlushAnswer = { code: string; message: string; unavailable: boolean } | null

interface Syncer {
  sync(procPath: string): Promise<FlushAnswer>
}

let unavailable = !SYNCFS
let syncer: Syncer | null = null

function startSyncer(): Syncer {
  const child = spawn('sh', ['-c', 'while read -r p; do sync -f "$p" 2>/dev/null; echo $?; done'], { stdio: ['pipe', 'pipe', 'ignore'] })
  const waiting: Array<(a: FlushAnswer) => void> = []
  let out = ''
  const failAll = (code: string, message: string) => {
    unavailable = true
    syncer = null
    for (const w of waiting.splice(0)) w({ code, message, unavailable: true })
  }
  child.on('error', (err: NodeJS.ErrnoException) => failAll(err.code ?? 'ESYNCER', err.message))
  child.on('exit', () => failAll('ESYNCER', 'the sync helper exited'))
  child.stdin.on('error', () => {})
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (d: string) => {
    out += d
    let nl
    while ((nl = out.indexOf('\n')) >= 0) {
      const code = Number(out.slice(0, nl))
      out = out.slice(nl + 1)
      // 127: no `sync` program; 1 with an old `sync` that knows no -f: every later flush goes by fdatasync
      if (code === 127) unavailable = true
      waiting.shift()?.(code === 0 ? null : { code: 'ESYNCFS', message: `sync -f exited with ${code}`, unavailable })
    }
  })
  // The shell must not keep the agent alive once nothing waits on it.
  child.unref()
  ;(child.stdout as unknown as { unref?: () => void }).unref?.()
  ;(child.stdin as unknown as { unref?: () => void }).unref?.()
  return {
    sync(procPath) {
      return new Promise((resolve) => {
        waiting.push(resolve)
        child.stdin.write(`${procPath}\n`)
      })
    },
  }
}

function syncFileSystem(procPath: string): Promise<FlushAnswer> {
  if (unavailable) return Promise.resolve({ code: 'ENOSYS', message: 'syncfs is not available', unavailable: true })
  syncer ??= startSyncer()
  return syncer.sync(procPath)
}

/**
 * Flushes start at least this far apart per file system; asks that come meanwhile join the flush that has
 * not started yet. A flush costs ~3 ms whatever it carries (the `sync` process, the journal commit, the
 * device's cache flush) and ~17 µs per 4 KB file (fresh ext4 on this VM): started back to back, with a
 * task's batches asking all the time, they got short and many (~350 a 10,000-file task).
 */
const MIN_GAP_MS = 10

interface Flush {
  /** the asker's descriptor the flush goes through (it holds it open until answered) */
  fd: number
  started: boolean
  promise: Promise<FlushAnswer>
  resolve: (a: FlushAnswer) => void
}
interface Device {
  /** the flush running, or about to start */
  current: Flush | null
  /** the one after it, for asks that came once `current` had started */
  next: Flush | null
  lastStart: number
}
const devices = new Map<number, Device>()

function newFlush(fd: number): Flush {
  let resolve!: (a: FlushAnswer) => void
  const promise = new Promise<FlushAnswer>((r) => (resolve = r))
  return { fd, started: false, promise, resolve }
}

function schedule(d: Device): void {
  const f = d.current!
  const wait = d.lastStart + MIN_GAP_MS - performance.now()
  const go = () => {
    f.started = true
    d.lastStart = performance.now()
    void syncFileSystem(`/proc/${process.pid}/fd/${f.fd}`).then((answer) => {
      d.current = d.next
      d.next = null
      if (d.current) schedule(d)
      f.resolve(answer)
    })
  }
  if (wait > 0) setTimeout(go, wait)
  else go()
}

/**
 * Flushes the file system `dev` (a device number from fstat) through `fd`, a descriptor on it that the
 * asker holds open until this answers. A flush that started before the ask does not cover it (the
 * asker's writes may have come after its start): the ask waits for the next one, which starts when the
 * running one ends and serves every ask that came meanwhile.
 */
export function flushFileSystem(dev: number, fd: number): Promise<FlushAnswer> {
  let d = devices.get(dev)
  if (!d) devices.set(dev, (d = { current: null, next: null, lastStart: -Infinity }))
  if (!d.current) {
    d.current = newFlush(fd)
    schedule(d)
    return d.current.promise
  }
  if (!d.current.started) return d.current.promise
  d.next ??= newFlush(fd)
  return d.next.promise
}
