/**
 * Runs a scheduler job through the migration engine: opens the destination, binds the agent-wide
 * limiter and item store, maps engine progress to job progress, and after a finished round copies the
 * item results to two other agents before the round counts as done.
 */
import type { Logger } from 'pino'
import { runTaskRound } from '../engine/round.ts'
import type { BatchFile, BatchOutcome, BatchPutOptions, Destination, PutOptions, SourceFile } from '../engine/destination.ts'
import type { Limiter } from '../engine/types.ts'
import type { ItemStore } from '../items/store.ts'
import type { Destination as TaskDestination } from '../../protocol/records.ts'
import type { RunJob } from '../scheduler/types.ts'

export interface EngineRunnerDeps {
  device: string
  items: ItemStore
  limiter: Limiter
  openDestination: (dest: TaskDestination) => Destination
  /** Copies a finished round's item records to other agents; returns those that hold a copy. */
  replicateItems: (taskId: string, round: number) => Promise<string[]>
  logger: Logger
  tuning?: { checkpointIntervalMs?: number; retryIntervalMs?: number }
  /** Fault injection for tests (MMESH_TEST_FILE_DELAY_MS): a pause before each file is written. */
  fileDelayMs?: number
  /** Test hook (MMESH_TEST_HOOKS=1): told of every file a put committed at the destination (chaos copy counts). */
  onCopied?: (taskId: string, relPath: string) => void
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
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

/** The pause comes before each file, batched or not: a batch goes through as batches of one. */
function slowed(dest: Destination, delayMs: number): Destination {
  const putFiles = dest.putFiles?.bind(dest)
  return Object.assign(Object.create(dest) as Destination, {
    putFile: async (rel: string, src: SourceFile, opts: PutOptions) => {
      await abortableSleep(delayMs, opts.signal)
      return dest.putFile(rel, src, opts)
    },
    ...(putFiles && {
      putFiles: async (files: readonly BatchFile[], opts: BatchPutOptions) => {
        const out: BatchOutcome[] = []
        for (const f of files) {
          await abortableSleep(delayMs, opts.signal)
          out.push(...(await putFiles([f], opts)))
        }
        return out
      },
    }),
  })
}

function counted(dest: Destination, onCopied: (relPath: string) => void): Destination {
  const putFiles = dest.putFiles?.bind(dest)
  return Object.assign(Object.create(dest) as Destination, {
    putFile: async (rel: string, src: SourceFile, opts: PutOptions) => {
      const r = await dest.putFile(rel, src, opts)
      onCopied(rel)
      return r
    },
    ...(putFiles && {
      putFiles: async (files: readonly BatchFile[], opts: BatchPutOptions) => {
        const out = await putFiles(files, opts)
        out.forEach((o, i) => o.ok && onCopied(files[i]!.relPath))
        return out
      },
    }),
  })
}

export function createEngineRunner(deps: EngineRunnerDeps): RunJob {
  return async (job, controls) => {
    let dest = deps.openDestination(job.spec.destination)
    if (deps.fileDelayMs && deps.fileDelayMs > 0) dest = slowed(dest, deps.fileDelayMs)
    if (deps.onCopied) {
      const onCopied = deps.onCopied
      dest = counted(dest, (rel) => onCopied(job.taskId, rel))
    }
    try {
      const result = await runTaskRound(
        { taskId: job.taskId, round: job.round, epoch: job.epoch, spec: job.spec, settings: job.settings, sourceRoot: job.sourceRoot, device: deps.device },
        {
          destination: dest,
          items: deps.items,
          limiter: deps.limiter,
          leaseHeld: controls.leaseHeld,
          onProgress: (p) => controls.progress(p),
          onCheckpoint: (c) => controls.checkpoint({ phase: c.phase, counts: c.counts, bytes: c.bytes, waitingReason: c.waitingReason, throughput: 0 }),
          signal: controls.signal,
          clock: () => Date.now(),
          sleep: abortableSleep,
          logger: deps.logger,
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
      return { phase: result.phase, counts: result.counts, bytes: result.bytes, failureReason: result.failureReason, itemReplicas }
    } finally {
      await dest.close().catch(() => {})
    }
  }
}
