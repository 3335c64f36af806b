/**
 * What an agent process costs, read from outside so the agent needs no instrumenting: CPU time from
 * /proc/PID/stat, and TCP bytes sent and received on its established sockets from `ss -tinp` (the
 * kernel's per-socket `bytes_sent` / `bytes_received`; libp2p runs every stream, gossip included, over
 * those connections). On loopback each connection has a socket in both processes, so a process's sum is
 * exactly its own traffic, received + sent. Linux only.
 */
import fs from 'node:fs'
import { execFileSync } from 'node:child_process'

/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ; 100 on Linux). */
const TICKS_PER_S = Number(process.env.CLK_TCK ?? 100)

/** A /proc stat file's fields from the third on (state, ppid, …); undefined when it is gone. */
function statFields(file: string): string[] | undefined {
  try {
    const stat = fs.readFileSync(file, 'utf8')
    // The command name (field 2) may hold spaces: count from the closing parenthesis.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** utime and stime in seconds from a /proc stat file; undefined when it is gone. */
function statTimes(file: string): { user: number; system: number } | undefined {
  const fields = statFields(file)
  return fields && { user: Number(fields[11]) / TICKS_PER_S, system: Number(fields[12]) / TICKS_PER_S }
}

/**
 * cutime + cstime of this process, in seconds: the CPU of its children that have been waited for, theirs
 * included (rsync's receiver and generator are waited for by rsync). Read before and after one child
 * runs, it is that child's CPU, as /usr/bin/time would print it.
 */
export function childrenCpuSeconds(): number {
  const fields = statFields('/proc/self/stat')
  return fields ? (Number(fields[13]) + Number(fields[14])) / TICKS_PER_S : NaN
}

/** utime + stime of a process, in seconds; undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  const t = statTimes(`/proc/${pid}/stat`)
  return t && t.user + t.system
}

/** Per thread of a process: user and system CPU seconds so far. */
export function threadCpu(pid: number): Map<number, { user: number; system: number }> {
  const out = new Map<number, { user: number; system: number }>()
  let tids: string[] = []
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`)
  } catch {
    // the process is gone
  }
  for (const tid of tids) {
    const t = statTimes(`/proc/${pid}/task/${tid}/stat`)
    if (t) out.set(Number(tid), t)
  }
  return out
}

/**
 * Where a process's CPU went between two threadCpu readings: the main thread's (its tid is the pid) user and
 * system seconds, then the other threads' in falling order (Node names every thread "node", so the copy
 * workers, libuv's pool and V8's helpers are told apart only by how much they did).
 */
export function threadCpuSplit(pid: number, before: ReturnType<typeof threadCpu>, after: ReturnType<typeof threadCpu>): { main: { user: number; system: number }; others: { user: number; system: number }[] } {
  const delta = (tid: number) => {
    const a = after.get(tid)!
    const b = before.get(tid) ?? { user: 0, system: 0 }
    return { user: a.user - b.user, system: a.system - b.system }
  }
  const others = [...after.keys()].filter((tid) => tid !== pid).map(delta).filter((d) => d.user + d.system > 0)
  others.sort((x, y) => y.user + y.system - (x.user + x.system))
  return { main: after.has(pid) ? delta(pid) : { user: 0, system: 0 }, others }
}

/** Bytes sent + received so far on every established TCP socket, per process id. */
export function tcpBytesByPid(): Map<number, number> {
  const out = new Map<number, number>()
  const text = execFileSync('ss', ['-tinpH', 'state', 'established'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  // One socket per entry: a line with users:(("node",pid=N,fd=M)), then a line of tcp_info fields.
  let pids: number[] = []
  for (const line of text.split('\n')) {
    const users = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]))
    if (users.length > 0) pids = users
    const sent = /bytes_sent:(\d+)/.exec(line)
    const received = /bytes_received:(\d+)/.exec(line)
    if (sent || received) {
      const bytes = Number(sent?.[1] ?? 0) + Number(received?.[1] ?? 0)
      for (const pid of new Set(pids)) out.set(pid, (out.get(pid) ?? 0) + bytes)
      pids = []
    }
  }
  return out
}

export interface IdleSample {
  /** per process: bytes/s received + sent */
  bytesPerS: number[]
  /** per process: CPU seconds per second (1 = one core) */
  cpu: number[]
  windowS: number
}

/** Traffic and CPU of each process over `windowMs`. A socket opened or closed inside the window skews it. */
export async function sampleIdle(pids: number[], windowMs: number): Promise<IdleSample> {
  const t0 = performance.now()
  const cpu0 = pids.map(cpuSeconds)
  const net0 = tcpBytesByPid()
  await new Promise((r) => setTimeout(r, windowMs))
  const net1 = tcpBytesByPid()
  const cpu1 = pids.map(cpuSeconds)
  const windowS = (performance.now() - t0) / 1000
  return {
    bytesPerS: pids.map((p) => ((net1.get(p) ?? 0) - (net0.get(p) ?? 0)) / windowS),
    cpu: pids.map((_, i) => ((cpu1[i] ?? 0) - (cpu0[i] ?? 0)) / windowS),
    windowS,
  }
}

export function stats(xs: number[]): { mean: number; max: number; min: number } {
  if (xs.length === 0) return { mean: 0, max: 0, min: 0 }
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, max: Math.max(...xs), min: Math.min(...xs) }
}
