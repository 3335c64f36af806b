/**
 * What the lease scheduler needs from the rest of the agent, as narrow interfaces, so it can be driven
 * by the real agent core and, in tests, by the same core in another process.
 */
import type { Assessment } from '../../protocol/assessment.ts'
import type { Logger } from 'pino'
import type { Ledger, RecordSigner } from '../../protocol/ledger.ts'
import type { ByteCounts, Counts, OutcomePhase, SourcePrincipal, TaskSpec } from '../../protocol/records.ts'
import type { Settings } from '../../protocol/settings.ts'
import type { WindowState } from '../../protocol/work-window.ts'

export interface PeerView {
  id: string
  group: string
  capacity: number
  running: number
  /** task id → why this agent cannot run it (capped list, from its heartbeat) */
  blocked: Record<string, string>
  /** not disabled by an admin (folded from the ledger; the presence adapter may leave it true) */
  enabled?: boolean
  /** why it claims nothing new now (its disk guard), from its heartbeat; such an agent is no candidate */
  notClaiming?: string
}

export interface SchedulerPresence {
  /**
   * Agents heard recently, as their heartbeats describe them: within `withinMs` when given, else within
   * three of their heartbeats (the fleet view's "online").
   */
  liveAgents(withinMs?: number): PeerView[]
  /** ms since the last heartbeat from this agent on the local monotonic clock; undefined if never heard. */
  silentForMs(agentId: string): number | undefined
  /** Sets fields of this agent's own heartbeat. */
  publish(fields: Record<string, unknown>): void
  /** This agent's own document clock now (its Yjs client's next clock), and its Yjs client id. */
  localClock(): number
  selfClient(): number
  /** The ledger state vector from `agentId`'s latest heartbeat, if it sent one. */
  peerStateVector(agentId: string): ReadonlyMap<number, number> | null
  /** True when this agent's ledger holds everything the state vector covers. */
  localCovers(sv: ReadonlyMap<number, number>): boolean
}

export interface Job {
  taskId: string
  round: number
  epoch: number
  spec: TaskSpec
  settings: Settings
  /** Local path the source is read from (after `--map`). */
  sourceRoot: string
}

export interface JobProgress {
  phase: Extract<OutcomePhase, 'scanning' | 'in-progress' | 'waiting'>
  counts: Counts
  bytes: ByteCounts
  waitingReason: string | null
  /** bytes per second, recent */
  throughput: number
  /** the walk has listed the whole source (the totals are final) */
  walked?: boolean
}

export interface JobResult {
  phase: 'completed' | 'failed' | 'aborted'
  counts: Counts
  bytes: ByteCounts
  failureReason: string | null
  /** Agents that now hold a copy of the round's item results, besides this one. */
  itemReplicas?: string[]
  /** What the round's scan measured (protocol/assessment.ts), for the round's final outcome. */
  assessment?: Assessment
  /** The source owners the round's scan met (engine/pass.ts), for the outcome. */
  owners?: { names: string[]; truncated: boolean }
  /** The principals of the permission entries the scan read (engine/pass.ts), for the outcome. */
  principals?: { list: SourcePrincipal[]; truncated: boolean }
}

export interface JobControls {
  signal: AbortSignal
  /** Re-checked by the engine before it commits each file. */
  leaseHeld(): boolean
  /** A reason to stop at the next file boundary (files in flight finish), or null to go on. */
  draining?(): string | null
  /** Live progress (presence), a few times a second at most. */
  progress(p: JobProgress): void
  /** Durable progress checkpoint (ledger), every 30-60 s. */
  checkpoint(p: JobProgress): void
}

export type RunJob = (job: Job, controls: JobControls) => Promise<JobResult>

export type CanRunResult = { ok: true; sourceRoot: string } | { ok: false; reason: string }
/**
 * Whether this agent can run a task. A verdict is remembered per task record for a few seconds;
 * `staleOk`: an older "yes" will do (a pass ranking every free task), where a claim or a start checks again.
 */
export type CanRun = (spec: TaskSpec, opts?: { staleOk?: boolean }) => CanRunResult

export interface SchedulerClock {
  /** monotonic ms */
  now(): number
  /** wall clock, for records */
  wall(): Date
}

export interface WorkEvent {
  taskId: string
  round: number
  epoch: number
  what: 'start' | 'stop'
  at: number
}

export interface SchedulerDeps {
  self: string
  /** the agent's own flags; `profile` (the fleet's override folded in) wins when given */
  group: string
  capacity: number
  /** group and capacity in force now (agent/agent-profile.ts) */
  profile?: () => { group: string; capacity: number }
  /** its group's work window now: outside it nothing new starts and running tasks stop at a file boundary */
  workWindow?: () => WindowState
  leaseTtlMs: number
  ledger: Ledger
  signer: RecordSigner
  presence: SchedulerPresence
  probe(agentId: string, timeoutMs: number): Promise<boolean>
  canRun: CanRun
  runJob: RunJob
  clock: SchedulerClock
  logger: Logger
  options?: Partial<SchedulerOptions>
  /** Told when work on a task starts and stops on this agent (tests keep a work log with it). */
  onWork?: (event: WorkEvent) => void
  /** Why this agent must claim nothing new now (the disk guard), or null; its running tasks go on. */
  claimBlock?: () => string | null
}

export interface SchedulerOptions {
  /** How often the scheduler looks for work even without ledger changes. */
  tickMs: number
  /** Least wait after a claim before touching the destination, then re-check. */
  settleMs: number
  /** After this wait for a live peer to confirm it saw the claim, the wait is logged (it goes on). */
  settleMaxMs: number
  /** Delay per rank step for agents that are not the first choice for a free task. */
  rankStepMs: number
  /**
   * After the scheduler starts, how long it claims no free task and takes nothing over: time to hear every
   * live peer's heartbeat, so it does not take itself for alone and start with no rival to wait for.
   */
  hearMs: number
  /** Durable progress checkpoint interval. */
  checkpointMs: number
  /** How long a direct probe of a silent holder may take. */
  probeTimeoutMs: number
}

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
  tickMs: 500,
  settleMs: 300,
  settleMaxMs: 10_000,
  rankStepMs: 400,
  hearMs: 0,
  checkpointMs: 30_000,
  probeTimeoutMs: 2_000,
}
