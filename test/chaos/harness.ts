/**
 * The chaos run: N real agent processes migrate M tasks of generated shares into file:// destinations
 * while a seeded schedule kills agents (kill -9, restart on the same data dir), splits the fleet and
 * heals it, makes a destination read-only for a while and edits sources and destination files. Then it
 * reruns the tasks whose files were edited and checks what an admin would: every file landed
 * byte-identical, no edit at the destination was overwritten, every task completed, all ledgers equal,
 * few files copied twice, no agent died other than by the harness.
 */
import fs from 'node:fs'
import path from 'node:path'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { Rng } from './rng.ts'
import { checkLanding, editDestination, editSource, fileKey, makeShares, readFolder, type Share, type ShareFile } from './shares.ts'
import { startSpEmulator, type SpEmulator } from '../fixtures/sp-emulator/index.ts'
import { halves, makeSchedule, Mounts, type FaultEvent } from './faults.ts'
import { countCopies, findCrashes, type Check } from './checks.ts'

export interface ChaosOptions {
  agents: number
  tasks: number
  files: number
  durationS: number
  killEveryS: number
  splitS: number
  seed: number
  /** how long one destination stays read-only (0: never) */
  destFaultS?: number
  sourceEdits?: number
  destEdits?: number
  /** pause before each file write; default: sized so the migration lasts about the fault period */
  fileDelayMs?: number
  leaseTtlS?: number
  /** time allowed after the fault period for every task to complete */
  settleTimeoutS?: number
  /** tasks (of `tasks`) whose destination is a SharePoint site on the local emulator (0: none) */
  spTasks?: number
  /** fraction of the emulator's REST answers that are 429 throttles (Retry-After 1–2 s) */
  spThrottleRate?: number
  log?: (line: string) => void
}

export interface ChaosResult {
  seed: number
  ok: boolean
  checks: Check[]
  figures: Record<string, number | string>
}

type TaskRow = { id: string; status: string; round: number; waitingReason?: string | null; counts: { migrated: number; unchanged: number; failed: number; toMigrate: number } }

const AGENT_FILE_SLOTS = 32
const TASK_FILE_SLOTS = 16

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`))
  const rng = new Rng(o.seed)
  const contentRng = rng.fork()
  const faultRng = rng.fork()
  const durationMs = o.durationS * 1000
  const slots = Math.min(o.agents * AGENT_FILE_SLOTS, o.tasks * TASK_FILE_SLOTS)
  const fileDelayMs = o.fileDelayMs ?? Math.round(Math.min(5000, Math.max(5, (slots * durationMs * 0.7) / o.files)))
  log(`chaos: seed ${o.seed}, ${o.agents} agents, ${o.tasks} tasks, ${o.files} files, ${o.durationS} s of faults, kill every ${o.killEveryS} s, split ${o.splitS} s, file delay ${fileDelayMs} ms`)

  const fleet = await createFleet({
    env: {
      MMESH_TEST_FILE_DELAY_MS: String(fileDelayMs),
      MMESH_RETRY_INTERVAL_MS: '1500',
      MMESH_CHECKPOINT_MS: '3000',
      MMESH_LOG_LEVEL: 'warn',
    },
  })
  const mounts = new Mounts()
  let emu: SpEmulator | null = null
  const harnessKilled = new WeakSet<object>()
  const exits: { agent: string; code: number | null; signal: string | null; expected: boolean }[] = []
  const watch = (a: AgentProc) => {
    const p = a.proc!
    void p.then((r) => exits.push({ agent: a.name, code: r.exitCode ?? null, signal: r.signal ?? null, expected: harnessKilled.has(p) }))
  }
  try {
    const started = Date.now()
    const srcRoot = fleet.tempDir('src')
    const destRoot = fleet.tempDir('dest')
    // The last spTasks shares go to a SharePoint site on the emulator, throttling some requests.
    const spTasks = Math.min(o.spTasks ?? 0, o.tasks)
    const spFrom = o.tasks - spTasks
    const shares = makeShares(contentRng, srcRoot, destRoot, o.tasks, o.files, (i) => (i >= spFrom ? `/sites/dev/Shared Documents/chaos-${i}` : null))
    const taskOf = new Map<string, Share>()
    const dirs = Array.from({ length: o.agents }, (_, i) => fleet.tempDir(`chaos-${i}`))
    if (spTasks > 0) {
      emu = await startSpEmulator({ dir: fleet.tempDir('emu'), faults: { latencyMs: 2, throttleRate: o.spThrottleRate ?? 0.03, retryAfterSec: [1, 2] } })
      fleet.env.NODE_EXTRA_CA_CERTS = emu.caFile
      const app = emu.issueAppCredentials()
      const pem = path.join(fleet.root, 'app.pem')
      fs.writeFileSync(pem, app.cert.pem)
      // Every agent its own credentials, through the real CLI, before it starts.
      await Promise.all(dirs.map(async (dir) => {
        const r = await fleet.run(['auth', 'set', '--tenant', app.tenantId, '--client-id', app.clientId, '--cert', pem, '--authority', emu!.authority], dir)
        if (r.exitCode !== 0) throw new Error(`auth set failed: ${r.stderr.trim()}`)
      }))
    }
    const readDest = async (share: Share, rel: string) => (share.spFolder ? emu!.readFile(`${share.spFolder}/${rel}`) : readFolder(share, rel))

    const args = ['--lease-ttl', String(o.leaseTtlS ?? 5), '--capacity', '5']
    const first = await fleet.start('chaos-0', { args, dir: dirs[0]! })
    const rest = await Promise.all(Array.from({ length: o.agents - 1 }, (_, i) => fleet.start(`chaos-${i + 1}`, { peers: [first], args, dir: dirs[i + 1]! })))
    const agents: AgentProc[] = [first, ...rest]
    agents.forEach(watch)
    await fleet.converged(agents, { timeoutMs: 60_000 })
    // Through the real CLI, from random agents, a few at a time.
    const vias = shares.map(() => contentRng.pick(agents))
    for (let i = 0; i < shares.length; i += 5) {
      await Promise.all(shares.slice(i, i + 5).map(async (s, k) => {
        const dest = s.spFolder ? [emu!.sites.dev, '--library', 'Documents', '--folder', `chaos-${s.index}`] : [`file://${s.dest}`]
        const r = await fleet.run(['task', 'add', '--source', s.src, '--dest', ...dest, '--name', `chaos ${s.index}`], vias[i + k])
        if (r.exitCode !== 0) throw new Error(`task add failed: ${r.stderr.trim()}`)
        taskOf.set(r.stdout.trim(), s)
      }))
    }
    log(`chaos: fleet up and ${shares.length} tasks added in ${((Date.now() - started) / 1000).toFixed(1)} s`)

    // --- the fault period ---
    const canMount = (o.destFaultS ?? 10) > 0 && (await Mounts.available(fleet.root))
    const schedule = makeSchedule(faultRng, {
      durationMs,
      killEveryMs: o.killEveryS * 1000,
      splitMs: o.splitS * 1000,
      destFaultMs: canMount ? (o.destFaultS ?? 10) * 1000 : 0,
      shares: spFrom,
      sourceEdits: o.sourceEdits ?? Math.max(3, Math.round(o.files / 500)),
      destEdits: o.destEdits ?? Math.max(3, Math.round(o.files / 500)),
    })
    if (!canMount) log('chaos: mounts not permitted here; the destination fault is left out')
    const state = new FaultState(fleet, agents, faultRng, log, mounts, harnessKilled, watch, shares, o.seed)
    const t0 = Date.now()
    for (const ev of schedule) {
      await sleepUntil(t0 + ev.at)
      const killed = await state.apply(ev, Date.now() - t0)
      // Restarts run beside the schedule (an agent takes seconds to start); during a split, at the heal.
      if (killed) state.restartLater(killed, faultRng.int(500, 3000))
    }
    await sleepUntil(t0 + durationMs)
    await state.endFaults()
    const faultSeconds = (Date.now() - t0) / 1000
    log(`chaos: fault period over after ${faultSeconds.toFixed(1)} s (${state.kills} kills, ${state.splits} split, ${state.destFaults} destination fault, ${state.sourceEdited.size} source edits, ${state.destEdits.size} destination edits)`)

    // --- settle: every task completes; then the tasks with edits run an incremental round ---
    const settleMs = (o.settleTimeoutS ?? 600) * 1000
    const rows1 = await waitTasks(fleet, agents, (r) => r.status === 'completed', settleMs, 'every task to complete')
    const migratedAt = (Date.now() - started) / 1000
    const edited = new Set<number>([...state.sourceEdited.values(), ...state.destEdits.keys()].map((k) => Number(k.split(':')[0])))
    const rerunIds = [...taskOf.entries()].filter(([, s]) => edited.has(s.index)).map(([id]) => id)
    for (const id of rerunIds) {
      const r = await fleet.run(['task', 'rerun', id], faultRng.pick(agents))
      if (r.exitCode !== 0) throw new Error(`task rerun ${id} failed: ${r.stderr.trim()}`)
    }
    const rerunSet = new Set(rerunIds)
    const rows = await waitTasks(fleet, agents, (r) => r.status === 'completed' && r.round === (rerunSet.has(r.id) ? 1 : 0), settleMs, 'reruns to complete')
    log(`chaos: all tasks completed (${rows1.length} tasks; ${rerunIds.length} reruns after edits)`)

    // --- checks ---
    const checks: Check[] = []
    const landing = await checkLanding(shares, state.destEdits, readDest)
    checks.push({ name: 'every file landed byte-identical', ok: landing.missing.length === 0 && landing.differ.length === 0, detail: `${landing.identical}/${landing.expected - landing.editsKept - landing.editsLost.length} identical; missing ${landing.missing.length} ${landing.missing.slice(0, 5).join(' ')}; differ ${landing.differ.length} ${landing.differ.slice(0, 5).join(' ')}` })
    checks.push({ name: 'no destination edit replaced by older content', ok: landing.editsLost.length === 0, detail: `${landing.editsKept} edits kept, ${landing.editsLost.length} lost ${landing.editsLost.slice(0, 5).join(' ')}` })
    const notDone = rows.filter((r) => r.status !== 'completed')
    checks.push({ name: 'every task completed', ok: notDone.length === 0 && rows.length === shares.length, detail: `${rows.length - notDone.length}/${shares.length} completed` })
    const hashes = await Promise.all(agents.map((a) => fleet.hash(a)))
    const converged = await fleet.converged(agents, { timeoutMs: 60_000 }).catch(() => null)
    checks.push({ name: 'all ledgers have the same content', ok: converged !== null, detail: converged ? `hash ${converged.slice(0, 16)}…` : `hashes ${hashes.map((h) => h.slice(0, 8)).join(' ')}` })
    const copies = countCopies(agents, taskOf, shares, state.sourceEdited)
    checks.push({ name: 'files copied more than once < 5 %', ok: copies.duplicateRatio < 0.05, detail: `${copies.duplicates} extra copies of ${copies.files} files (${(copies.duplicateRatio * 100).toFixed(2)} %), ${copies.totalCopies} copies in all` })
    const crashes = findCrashes(agents, exits)
    checks.push({ name: 'no agent crashed other than by the harness', ok: crashes.length === 0, detail: crashes.length === 0 ? `${exits.filter((e) => e.expected).length} harness kills, all agents running` : crashes.slice(0, 5).join('; ') })
    const failedItems = rows.reduce((n, r) => n + r.counts.failed, 0)
    const failedWhere = rows.filter((r) => r.counts.failed > 0).map((r) => `task ${taskOf.get(r.id)?.index}: ${r.counts.failed}`).join(', ')

    const figures: Record<string, number | string> = {
      seed: o.seed,
      agents: o.agents,
      tasks: shares.length,
      files: landing.expected,
      'fault period (s)': Number(faultSeconds.toFixed(1)),
      'all tasks completed at (s)': Number(migratedAt.toFixed(1)),
      'total run (s)': Number(((Date.now() - started) / 1000).toFixed(1)),
      kills: state.kills,
      'restarts': state.restarts,
      splits: state.splits,
      'destination faults': state.destFaults,
      'source edits': state.sourceEdited.size,
      'destination edits': state.destEdits.size,
      'files identical': landing.identical,
      'edits kept': landing.editsKept,
      'copies in all': copies.totalCopies,
      'extra copies': copies.duplicates,
      'extra copy ratio (%)': Number((copies.duplicateRatio * 100).toFixed(2)),
      'files landed but not logged': copies.unlogged,
      'failed items (last rounds)': failedItems === 0 ? 0 : `${failedItems} (${failedWhere}; those files landed all the same, checked above)`,
      'sharepoint tasks': spTasks,
      ...(emu ? { 'sharepoint requests': emu.stats.requests, 'sharepoint throttled (429)': emu.stats.throttled, 'sharepoint uploads': emu.stats.uploads } : {}),
      'ledger hash': (converged ?? 'differs').slice(0, 16),
    }
    return { seed: o.seed, ok: checks.every((c) => c.ok), checks, figures }
  } finally {
    await mounts.release()
    await fleet.cleanup()
    await emu?.stop()
  }
}

function sleepUntil(at: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())))
}

async function waitTasks(fleet: Fleet, agents: AgentProc[], done: (r: TaskRow) => boolean, timeoutMs: number, what: string): Promise<TaskRow[]> {
  /** what the last look found not done, for the timeout's message */
  let notDone = ''
  try {
    return (await waitFor<TaskRow[] | null>(async () => {
      const up = fleet.running().filter((a) => agents.includes(a))
      // Every agent must see it: a task is done when the whole fleet agrees.
      for (const a of up) {
        const rows = await fleet.call<TaskRow[]>(a, 'task.list')
        const open = rows.filter((r) => !done(r))
        if (rows.length > 0 && open.length === 0) continue
        notDone = `${a.name} sees ${rows.length === 0 ? 'no task' : open.map((r) => `${r.id.slice(0, 8)} ${r.status} round ${r.round} (${r.counts.migrated + r.counts.unchanged}/${r.counts.toMigrate})${r.waitingReason ? `: ${r.waitingReason}` : ''}`).join('; ')}`
        return null
      }
      return await fleet.call<TaskRow[]>(up[0]!, 'task.list')
    }, { timeoutMs, intervalMs: 1000, message: what })) as TaskRow[]
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; not done: ${notDone}`, { cause: err })
  }
}

class FaultState {
  kills = 0
  restarts = 0
  splits = 0
  destFaults = 0
  splitActive = false
  readonly deferred: AgentProc[] = []
  readonly sourceEdited = new Set<string>()
  readonly destEdits = new Map<string, Buffer>()
  private failedDest: string | null = null

  constructor(
    private readonly fleet: Fleet,
    private readonly agents: AgentProc[],
    private readonly rng: Rng,
    private readonly log: (l: string) => void,
    private readonly mounts: Mounts,
    private readonly harnessKilled: WeakSet<object>,
    private readonly watch: (a: AgentProc) => void,
    private readonly shares: Share[],
    private readonly seed: number,
  ) {}

  /** agents being started again (not to be killed while they start) */
  private readonly starting = new Set<AgentProc>()

  private up(): AgentProc[] {
    return this.fleet.running().filter((a) => this.agents.includes(a) && !this.starting.has(a))
  }

  /** Applies one event; returns the agent it killed, if any. */
  async apply(ev: FaultEvent, t: number): Promise<AgentProc | null> {
    const at = `[${(t / 1000).toFixed(1)} s]`
    switch (ev.kind) {
      case 'kill': {
        // On a loaded machine the others may still be restarting: wait for one (bounded) rather than skip
        // the kill, so the schedule's faults really happen.
        if (this.up().length <= 1 && this.restarting.size > 0) {
          await waitFor(() => this.up().length > 1, { timeoutMs: 20_000, intervalMs: 200, message: 'a second agent up' }).catch(() => {})
        }
        const up = this.up()
        if (up.length <= 1) return null
        const victim = this.rng.pick(up)
        this.harnessKilled.add(victim.proc!)
        await this.fleet.kill(victim)
        this.kills++
        this.log(`${at} kill -9 ${victim.name}`)
        return victim
      }
      case 'split': {
        const [l, r] = halves(this.rng, this.up())
        await this.fleet.split(l, r)
        this.splitActive = true
        this.splits++
        this.log(`${at} split {${l.map((a) => a.name).join(' ')}} | {${r.map((a) => a.name).join(' ')}}`)
        return null
      }
      case 'heal':
        await this.heal()
        this.log(`${at} heal`)
        return null
      case 'dest-fail': {
        const dir = this.shares[ev.share]!.dest
        await this.mounts.readOnly(dir)
        this.failedDest = dir
        this.destFaults++
        this.log(`${at} destination of task ${ev.share} read-only`)
        return null
      }
      case 'dest-heal':
        if (this.failedDest) await this.mounts.release(this.failedDest)
        this.failedDest = null
        this.log(`${at} destination writable again`)
        return null
      case 'edit-source': {
        const f = this.pickFile((f) => !this.destEdits.has(fileKey(f)) && !this.sourceEdited.has(fileKey(f)))
        if (!f) return null
        editSource(this.rng, this.shares[f.task]!, f)
        this.sourceEdited.add(fileKey(f))
        this.log(`${at} edited source ${fileKey(f)}`)
        return null
      }
      case 'edit-dest': {
        for (let i = 0; i < 50; i++) {
          const f = this.pickFile((f) => !this.destEdits.has(fileKey(f)) && !this.sourceEdited.has(fileKey(f)) && this.shares[f.task]!.dest !== this.failedDest && this.shares[f.task]!.spFolder === null)
          if (!f) return null
          const data = editDestination(this.shares[f.task]!, f, this.seed)
          if (!data) continue
          this.destEdits.set(fileKey(f), data)
          this.log(`${at} edited destination ${fileKey(f)}`)
          return null
        }
        return null
      }
    }
  }

  private pickFile(ok: (f: ShareFile) => boolean): ShareFile | null {
    for (let i = 0; i < 50; i++) {
      const f = this.rng.pick(this.rng.pick(this.shares).files)
      if (ok(f)) return f
    }
    return null
  }

  private readonly restarting = new Set<Promise<void>>()

  restartLater(a: AgentProc, delayMs: number): void {
    const p = (async () => {
      await new Promise((r) => setTimeout(r, delayMs))
      if (this.splitActive) this.deferred.push(a)
      else await this.restart(a)
    })()
    this.restarting.add(p)
    void p.catch((err: Error) => this.log(`  restart of ${a.name} failed: ${err.message}`)).finally(() => this.restarting.delete(p))
  }

  async restart(a: AgentProc): Promise<void> {
    if (this.starting.has(a) || this.fleet.running().includes(a)) return
    this.starting.add(a)
    try {
      await waitFor(async () => {
        await this.fleet.restart(a)
        return true
      }, { timeoutMs: 60_000, intervalMs: 500, message: `restart of ${a.name}` })
    } finally {
      this.starting.delete(a)
    }
    this.watch(a)
    this.restarts++
    this.log(`  restarted ${a.name}`)
  }

  private async heal(): Promise<void> {
    if (!this.splitActive) return
    await this.fleet.heal(this.up())
    this.splitActive = false
    // Beside the schedule, not before its next event: starting agents takes seconds on a loaded machine.
    for (const a of this.deferred.splice(0)) this.restartLater(a, 0)
  }

  /** Undoes every fault still active at the end of the fault period. */
  async endFaults(): Promise<void> {
    await this.heal()
    while (this.restarting.size > 0) await Promise.allSettled([...this.restarting])
    // Anyone still down (a restart that failed and was logged) comes back now.
    for (const a of this.agents) if (!this.fleet.running().includes(a)) await this.restart(a)
    if (this.failedDest) await this.mounts.release(this.failedDest)
    this.failedDest = null
    fs.mkdirSync(path.dirname(this.shares[0]!.dest), { recursive: true })
  }
}
