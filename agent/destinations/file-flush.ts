/**
 * The copy workers' file system flushes (file-worker.js step 3 and the folders' flush), run here on the
 * main thread for the whole agent: one `sync -f` at a time per file system, shared by every batch of
 * every worker waiting at that moment (a group commit). Each worker used to run its own, so two flushes
 * of one file system ran side by side all through a task, each writing back and committing what the
 * other had just written too (10,000 × 4 KB: ~108 flushes of 20-35 ms a task with two workers).
 *
 * The flush is syncfs(2), run by one long-lived helper that reads paths on its standard input: Perl's
 * syscall() where Perl is installed and this architecture's syscall number is known, else a shell that
 * runs coreutils' `sync -f PATH` for each. Forking this big process for each flush cost 10-15 ms; the
 * shell's fork and exec of `sync` cost ~2.5 ms of every flush (~1.2 ms of CPU), on the critical path of a
 * small-file task (its flushes run one after another, ~60 a 10,000-file task); the Perl helper's call
 * costs ~0.3 ms. The path is /proc/PID/fd/N of a descriptor the asking worker holds open on that file
 * system until it is answered (worker threads share the process's descriptors), so no name from a share
 * (which may hold a line feed) is ever written to the helper.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Readable, Writable } from 'node:stream'

/** Where syncfs can be asked for by descriptor. Elsewhere the workers flush each file with fdatasync. */
export const SYNCFS = process.platform === 'linux' && existsSync(`/proc/${process.pid}/fd`)

/** A flush's answer to a worker: null when done, else why not; `unavailable`: no later flush will work either. */
export type FlushAnswer = { code: string; message: string; unavailable: boolean } | null

interface Syncer {
  sync(procPath: string): Promise<FlushAnswer>
}

let unavailable = !SYNCFS
let syncer: Syncer | null = null

/** syncfs's number by Node's process.arch (Linux): the Perl helper calls it by number. */
const SYSCALL_SYNCFS: Partial<Record<string, number>> = { x64: 306, arm64: 267, ia32: 344, arm: 373, riscv64: 267, loong64: 267, ppc64: 348, s390x: 338 }

/** The Perl helper: answers `0` for each path flushed, else `e` and the errno. */
const PERL_SYNCFS = (nr: number) =>
  `$|=1; while (my $p = <STDIN>) { chomp $p; my $r; if (sysopen(my $fh, $p, 0)) { $r = syscall(${nr}, fileno($fh)) == 0 ? "0" : "e" . (0 + $!); close $fh } else { $r = "e" . (0 + $!) } print "$r\\n" }`
const ENOSYS = 38

/**
 * Whether the Perl helper is worth trying: turned off for good once it could not run (no `perl`: the
 * spawn fails, and the asks it had go to the shell) or its call was unknown.
 */
let perlUsable = SYNCFS && SYSCALL_SYNCFS[process.arch] !== undefined

function startSyncer(): Syncer {
  const perl = perlUsable
  const child: ChildProcessByStdio<Writable, Readable, null> = perl
    ? spawn('perl', ['-e', PERL_SYNCFS(SYSCALL_SYNCFS[process.arch]!)], { stdio: ['pipe', 'pipe', 'ignore'] })
    : spawn('sh', ['-c', 'while read -r p; do sync -f "$p" 2>/dev/null; echo $?; done'], { stdio: ['pipe', 'pipe', 'ignore'] })
  const waiting: Array<(a: FlushAnswer) => void> = []
  /** paths asked of the Perl helper and not answered yet, to ask again of the shell if Perl cannot serve */
  const asked: string[] = []
  let retired = false
  /** Perl could not run or does not know the call: the shell helper takes over, with the asks not answered. */
  const fallBack = () => {
    retired = true
    perlUsable = false
    syncer = null
    child.kill()
    const again = asked.splice(0)
    for (const w of waiting.splice(0)) void syncFileSystem(again.shift()!).then(w)
  }
  let out = ''
  const failAll = (code: string, message: string) => {
    if (retired) return
    if (perl) return fallBack()
    unavailable = true
    syncer = null
    for (const w of waiting.splice(0)) w({ code, message, unavailable: true })
  }
  child.on('error', (err: NodeJS.ErrnoException) => failAll(err.code ?? 'ESYNCER', err.message))
  child.on('exit', () => failAll('ESYNCER', 'the sync helper exited'))
  child.stdin.on('error', () => {})
  // The helper must not keep the agent alive once nothing waits on it; while a flush is asked, its answer
  // does (an ask from the main thread with nothing else pending would otherwise end the process unanswered).
  const answers = child.stdout as unknown as { ref?: () => void; unref?: () => void }
  child.unref()
  answers.unref?.()
  ;(child.stdin as unknown as { unref?: () => void }).unref?.()
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (d: string) => {
    if (retired) return
    out += d
    let nl
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl)
      out = out.slice(nl + 1)
      if (perl) {
        const errno = line === '0' ? 0 : Number(line.slice(1))
        // the call's number is not this kernel's: the shell's `sync -f` serves this ask and the later ones
        if (errno === ENOSYS) return fallBack()
        asked.shift()
        waiting.shift()?.(errno === 0 ? null : { code: 'ESYNCFS', message: `syncfs failed (errno ${errno})`, unavailable: false })
        continue
      }
      const code = Number(line)
      // 127: no `sync` program; 1 with an old `sync` that knows no -f: every later flush goes by fdatasync
      if (code === 127) unavailable = true
      waiting.shift()?.(code === 0 ? null : { code: 'ESYNCFS', message: `sync -f exited with ${code}`, unavailable })
    }
    if (waiting.length === 0) answers.unref?.()
  })
  return {
    sync(procPath) {
      return new Promise((resolve) => {
        if (waiting.length === 0) answers.ref?.()
        waiting.push(resolve)
        if (perl) asked.push(procPath)
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
 * not started yet. A flush by `sync -f` cost ~3 ms whatever it carried (most of it the `sync` process; the
 * rest the journal commit and the device's cache flush) and ~17 µs per 4 KB file (fresh ext4 on this VM):
 * started back to back, with a task's batches asking all the time, they got short and many (~350 a
 * 10,000-file task), hence 10 ms then. By the Perl helper a flush costs a fraction of that, and 10 ms left
 * the stream idle ~120 ms of a 0.85 s task (after each flush shorter than 10 ms): 3 ms was faster in 9 of
 * 10 runs side by side with 10 ms (BENCHMARKS.md, issue 18), 0 ms no different from 3.
 */
const MIN_GAP_MS = 3

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
