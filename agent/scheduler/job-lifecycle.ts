/**
 * One running task on this agent, from the scheduler's side: start the engine with the lease check and
 * progress hooks, write the durable checkpoints, and at the end write the round's outcome and release the
 * claim in one transaction — or, when asked to stop (pause, cancel, rerun, shutdown, lease lost), keep
 * the progress and let go; and each pass, stop the jobs the ledger no longer lets run here.
 */
import { foldTaskIntent } from '../../protocol/intent.ts'
import { stillWins } from '../../protocol/lease.ts'
import type { TaskSpec } from '../../protocol/records.ts'
import { ZERO_COUNTS } from '../../protocol/records.ts'
import type { Settings } from '../../protocol/settings.ts'
import type { Job, JobProgress, JobResult, SchedulerDeps, SchedulerOptions } from './types.ts'

export interface RunningJob {
  job: Job
  abort: AbortController
  /**
   * why we asked it to stop, and whether to release the claim when it does; `drain`: at the next file
   * boundary, the files in flight finish and commit (the work window closed), and a round that ends
   * meanwhile ends as usual
   */
  stop: { reason: string; release: boolean; drain?: boolean } | null
  startedAt: string
  last: JobProgress
  lastCheckpointMs: number
  done: Promise<void>
}

export interface LifecycleHooks {
  releaseClaim(taskId: string, epoch: number, round: number): void
  schedule(): void
  block(taskId: string, reason: string): void
  settingsFor(spec: TaskSpec): Settings
}

export function createJobLifecycle(deps: SchedulerDeps, opts: SchedulerOptions, hooks: LifecycleHooks) {
  const { ledger, self, clock, logger } = deps
  const jobs = new Map<string, RunningJob>()

  function requestStop(r: RunningJob, reason: string, release: boolean): void {
    r.stop = { reason, release }
    logger.info({ task: r.job.taskId, reason }, 'stopping work on task')
    r.abort.abort(new Error(reason))
  }

  function requestDrain(r: RunningJob, reason: string): void {
    if (r.stop) return
    r.stop = { reason, release: true, drain: true }
    logger.info({ task: r.job.taskId, reason }, 'stopping work on task at the next file boundary')
  }

  function start(spec: TaskSpec, round: number, epoch: number): void {
    const can = deps.canRun(spec)
    if (!can.ok) {
      hooks.block(spec.id, can.reason)
      hooks.releaseClaim(spec.id, epoch, round)
      return
    }
    const job: Job = { taskId: spec.id, round, epoch, spec, settings: hooks.settingsFor(spec), sourceRoot: can.sourceRoot }
    const abort = new AbortController()
    const prior = ledger.outcomesFor(spec.id).find((o) => o.agent === self && o.round === round)
    const r: RunningJob = {
      job,
      abort,
      stop: null,
      startedAt: prior?.startedAt ?? clock.wall().toISOString(),
      last: { phase: 'scanning', counts: { ...ZERO_COUNTS }, bytes: { total: 0, migrated: 0 }, waitingReason: null, throughput: 0 },
      lastCheckpointMs: clock.now(),
      done: Promise.resolve(),
    }
    jobs.set(spec.id, r)
    writeOutcome(r, r.last)
    deps.onWork?.({ taskId: spec.id, round, epoch, what: 'start', at: Date.now() })
    logger.info({ task: spec.id, round, epoch }, 'working on task')
    const controls = {
      signal: abort.signal,
      leaseHeld: () => (!r.stop || r.stop.drain === true) && stillWins(ledger.claimsFor(spec.id), self, epoch, round),
      draining: () => (r.stop?.drain ? r.stop.reason : null),
      progress: (p: JobProgress) => {
        r.last = p
      },
      checkpoint: (p: JobProgress) => {
        r.last = p
        if (clock.now() - r.lastCheckpointMs >= opts.checkpointMs) writeOutcome(r, p)
      },
    }
    r.done = deps
      .runJob(job, controls)
      .catch((err: unknown): JobResult => {
        if (abort.signal.aborted) return { phase: 'aborted', counts: r.last.counts, bytes: r.last.bytes, failureReason: null }
        logger.error({ err, task: spec.id }, 'task run failed unexpectedly')
        return { phase: 'failed', counts: r.last.counts, bytes: r.last.bytes, failureReason: `internal error: ${err instanceof Error ? err.message : String(err)}` }
      })
      .then((result) => finish(r, result))
  }

  function writeOutcome(r: RunningJob, p: JobProgress): void {
    r.lastCheckpointMs = clock.now()
    ledger.putOutcome(deps.signer, {
      taskId: r.job.taskId,
      agent: self,
      round: r.job.round,
      epoch: r.job.epoch,
      phase: p.phase,
      counts: p.counts,
      bytes: p.bytes,
      startedAt: r.startedAt,
      finishedAt: null,
      failureReason: null,
      waitingReason: p.waitingReason,
      itemReplicas: [],
    })
  }

  function finish(r: RunningJob, result: JobResult): void {
    jobs.delete(r.job.taskId)
    deps.onWork?.({ taskId: r.job.taskId, round: r.job.round, epoch: r.job.epoch, what: 'stop', at: Date.now() })
    const { taskId, round, epoch } = r.job
    const stillOurs = stillWins(ledger.claimsFor(taskId), self, epoch, round)
    if ((result.phase === 'completed' || result.phase === 'failed') && stillOurs && (!r.stop || r.stop.drain)) {
      ledger.doc.transact(() => {
        ledger.putOutcome(deps.signer, {
          taskId,
          agent: self,
          round,
          epoch,
          phase: result.phase as 'completed' | 'failed',
          counts: result.counts,
          bytes: result.bytes,
          startedAt: r.startedAt,
          finishedAt: clock.wall().toISOString(),
          failureReason: result.failureReason,
          waitingReason: null,
          itemReplicas: result.itemReplicas ?? [],
          ...(result.assessment ? { assessment: result.assessment } : {}),
          ...(result.owners ? { owners: result.owners.names, ...(result.owners.truncated ? { ownersTruncated: true } : {}) } : {}),
          ...(result.principals ? { principals: result.principals.list, ...(result.principals.truncated ? { principalsTruncated: true } : {}) } : {}),
        })
        hooks.releaseClaim(taskId, epoch, round)
      })
      logger.info({ task: taskId, phase: result.phase, counts: result.counts }, 'task round ended')
    } else if (stillOurs) {
      // Stopped on request (pause, cancel, rerun, shutdown, disabled): keep the progress, free the task.
      ledger.doc.transact(() => {
        writeOutcome(r, { ...r.last, counts: result.counts, bytes: result.bytes, phase: r.last.phase })
        if (r.stop?.release !== false) hooks.releaseClaim(taskId, epoch, round)
      })
    }
    hooks.schedule()
  }

  /** Stops the jobs the ledger no longer lets run here (pause, cancel, rerun, lease lost, agent disabled). */
  function supervise(enabled: boolean, inWindow: boolean): void {
    for (const r of jobs.values()) {
      // A job finishing its files in flight (the window closed) still stops at once for a pause or a cancel.
      if (r.stop && !r.stop.drain) continue
      const intent = foldTaskIntent(ledger.commandsFor(r.job.taskId))
      if (intent.cancelled) requestStop(r, 'task cancelled', true)
      else if (intent.deleted) requestStop(r, 'task deleted', true)
      else if (intent.paused) requestStop(r, 'task paused', true)
      else if (intent.round !== r.job.round) requestStop(r, 'task rerun', true)
      else if (!stillWins(ledger.claimsFor(r.job.taskId), self, r.job.epoch, r.job.round)) requestStop(r, 'lease lost to a higher epoch', false)
      else if (!enabled) requestStop(r, 'agent disabled', true)
      else if (!inWindow && !r.stop) requestDrain(r, 'outside the work window')
    }
  }

  return { jobs, start, requestStop, supervise }
}
