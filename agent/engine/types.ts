/** The engine's inputs and outputs: one round of one task, run by the agent that holds its lease. */
import type { ByteCounts, Counts, SourcePrincipal, TaskSpec } from '../../protocol/records.ts'
import type { Assessment } from '../../protocol/assessment.ts'
import type { Settings } from '../../protocol/settings.ts'
import type { Destination } from './destination.ts'
import type { ItemStore } from '../items/store.ts'
import { LISTING_STALL_MS } from './scan-pool.ts'

export interface EngineJob {
  taskId: string
  round: number
  /** Lease epoch of this holder; a takeover resumes the same round with a higher epoch. */
  epoch: number
  spec: TaskSpec
  /** Effective settings (globals under the task's overrides). */
  settings: Settings
  /** Local path of the source after `--map`. */
  sourceRoot: string
  /** This agent's name, for item records (Device name). */
  device: string
}

/** A concurrency limiter shaped like p-limit's: runs fn when a slot is free. Shared by all tasks of an agent. */
export type Limiter = <T>(fn: () => Promise<T>) => Promise<T>

export interface EngineLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export type EnginePhase = 'scanning' | 'in-progress' | 'waiting'

export interface EngineProgress {
  phase: EnginePhase
  counts: Counts
  bytes: ByteCounts
  waitingReason: string | null
  /** Bytes per second over the last few seconds. */
  throughput: number
  /** The walk has listed the whole source: the totals are final (time left needs them) */
  walked?: boolean
}

export interface EngineCheckpoint {
  taskId: string
  round: number
  epoch: number
  phase: EnginePhase
  counts: Counts
  bytes: ByteCounts
  startedAt: string
  waitingReason: string | null
}

export interface EngineDeps {
  destination: Destination
  items: ItemStore
  /** Per-agent limiter (e.g. pLimit(32)) shared by every task the agent runs. */
  limiter: Limiter
  /** True while this agent still holds the task's lease; checked before every file is committed. */
  leaseHeld: () => boolean
  /**
   * A reason to stop at the next file boundary (the agent's work window closed), else null: no new copy
   * starts, the ones in flight finish and are recorded, and the round ends `aborted` with this reason.
   */
  draining?: () => string | null
  /** Live progress, at most a few times a second (goes to presence). */
  onProgress: (p: EngineProgress) => void
  /** Periodic checkpoint (goes to the ledger), every `checkpointIntervalMs`. */
  onCheckpoint: (c: EngineCheckpoint) => void | Promise<void>
  signal: AbortSignal
  /** Milliseconds; injectable so tests run the retry window in seconds. */
  clock: () => number
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
  logger: EngineLogger
  tuning?: Partial<EngineTuning>
  /** The scan worker script (default scan-pool.ts SCAN_WORKER); tests give one that can stall. */
  scanWorker?: URL
}

export interface EngineTuning {
  /** Files copied at once by one task. */
  taskConcurrency: number
  checkpointIntervalMs: number
  progressIntervalMs: number
  /** Wait between retries of a round hit by a task-scope error. */
  retryIntervalMs: number
  /** Attempts for a file that changes while it is read, or fails to verify. */
  fileAttempts: number
  /** Item records buffered before a batch write. */
  recordBatch: number
  /** Modified-time tolerance when comparing with the destination (FAT/SMB keep 2 s). */
  mtimeToleranceMs: number
  /** A folder listing with no progress for this long fails with ETIMEDOUT (scan-pool.ts LISTING_STALL_MS). */
  listingStallMs: number
}

export const DEFAULT_TUNING: EngineTuning = {
  taskConcurrency: 16,
  checkpointIntervalMs: 30_000,
  progressIntervalMs: 250,
  retryIntervalMs: 30_000,
  fileAttempts: 3,
  recordBatch: 500,
  mtimeToleranceMs: 2_000,
  listingStallMs: LISTING_STALL_MS,
}

export interface RoundResult {
  phase: 'completed' | 'failed' | 'aborted'
  counts: Counts
  bytes: ByteCounts
  failureReason: string | null
  /** Why an aborted round stopped ('lease lost', 'cancelled'). */
  abortReason?: string
  /** What the pass's scan measured; on a completed round only (a failed pass saw part of the source). */
  assessment?: Assessment
  /** The source owners the last pass met (login names), when it ended. */
  owners?: { names: string[]; truncated: boolean }
  /** The principals of the permission entries the last pass read, when it ended; absent when it read none. */
  principals?: { list: SourcePrincipal[]; truncated: boolean }
  startedAt: string
  finishedAt: string
}

/** Thrown inside a round when the lease is lost or the signal aborts; runTaskRound turns it into `aborted`. */
export class RoundAbortedError extends Error {
  override name = 'RoundAbortedError'
}

/** An error that hits every item: the round waits and retries, then fails. */
export class TaskScopeError extends Error {
  override name = 'TaskScopeError'
  constructor(message: string, readonly code: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}
