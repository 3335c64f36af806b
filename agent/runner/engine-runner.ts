/**
 * Runs a scheduler job through the migration engine: opens the destination, binds the agent-wide
 * limiter and item store, maps engine progress to job progress, and after a finished round copies the
 * item results to two other agents before the round counts as done.
 */
import type { Logger } from 'pino'
import { runTaskRound } from '../engine/round.ts'
import type { Destination } from '../engine/destination.ts'
import type { Limiter } from '../engine/types.ts'
import type { ItemStore } from '../items/store.ts'
import type { Destination as TaskDestination } from '../../protocol/records.ts'
import type { RunJob } from '../scheduler/types.ts'
import { ZERO_COUNTS } from '../../protocol/records.ts'

export interface EngineRunnerDeps {
  device: string
  items: ItemStore
  limiter: Limiter
  /** Opens a task's destination; `taskId` lets file:// clean up a previous holder's temporary files of the task. */
  openDestination: (dest: TaskDestination, ctx: { taskId: string }) => Destination
  /** Copies a finished round's item records to other agents; returns those that hold a copy. */
  replicateItems: (taskId: string, round: number) => Promise<string[]>
  logger: Logger
  tuning?: { checkpointIntervalMs?: number; retryIntervalMs?: number }
  /**
   * Wraps each task's destination (the composition root passes a plugin's; production has none, tests
   * slow writes down and count copies this way: test/support/test-destinations.ts).
   */
  wrapDestination?: (dest: Destination, taskId: string) => Destination
  /** The scan worker script (default the engine's own); tests inject one that stalls. */
  scanWorker?: URL
  /**
   * Checks the task against what this agent's owner allows, right before a round reads or writes
   * anything (the record may have changed since the scheduler looked): null when allowed, else why.
   */
  checkAccess: (spec: RunJobSpec) => { ok: true; sourceRoot: string } | { ok: false; reason: string }
}

type RunJobSpec = Parameters<RunJob>[0]['spec']

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts (the engine's retry waits). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

export function createEngineRunner(deps: EngineRunnerDeps): RunJob {
  return async (job, controls) => {
    const allowed = deps.checkAccess(job.spec)
    if (!allowed.ok) {
      deps.logger.warn({ task: job.taskId, reason: allowed.reason }, 'task refused: outside what this agent may touch')
      return { phase: 'failed', counts: ZERO_COUNTS, bytes: { total: 0, migrated: 0 }, failureReason: allowed.reason }
    }
    const opened = deps.openDestination(job.spec.destination, { taskId: job.taskId })
    const dest = deps.wrapDestination ? deps.wrapDestination(opened, job.taskId) : opened
    try {
      const result = await runTaskRound(
        { taskId: job.taskId, round: job.round, epoch: job.epoch, spec: job.spec, settings: job.settings, sourceRoot: allowed.sourceRoot, device: deps.device },
        {
          destination: dest,
          items: deps.items,
          limiter: deps.limiter,
          leaseHeld: controls.leaseHeld,
          ...(controls.draining ? { draining: controls.draining } : {}),
          onProgress: (p) => controls.progress(p),
          onCheckpoint: (c) => controls.checkpoint({ phase: c.phase, counts: c.counts, bytes: c.bytes, waitingReason: c.waitingReason, throughput: 0 }),
          signal: controls.signal,
          clock: () => Date.now(),
          sleep: abortableSleep,
          logger: deps.logger,
          ...(deps.scanWorker ? { scanWorker: deps.scanWorker } : {}),
          tuning: { ...(deps.tuning?.checkpointIntervalMs ? { checkpointIntervalMs: deps.tuning.checkpointIntervalMs } : {}), ...(deps.tuning?.retryIntervalMs ? { retryIntervalMs: deps.tuning.retryIntervalMs } : {}) },
        },
      )
      if (result.phase === 'aborted') return { phase: 'aborted', counts: result.counts, bytes: result.bytes, failureReason: null }
      let itemReplicas: string[] = []
      try {
        itemReplicas = await deps.replicateItems(job.taskId, job.round)
      } catch (err) {
        deps.logger.warn({ task: job.taskId, err: (err as Error).message }, 'item results not copied to other agents')
      }
      return { phase: result.phase, counts: result.counts, bytes: result.bytes, failureReason: result.failureReason, itemReplicas, ...(result.assessment ? { assessment: result.assessment } : {}), ...(result.owners ? { owners: result.owners } : {}), ...(result.principals ? { principals: result.principals } : {}) }
    } finally {
      await dest.close().catch(() => {})
    }
  }
}
