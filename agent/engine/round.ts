/**
 * runTaskRound: one round of one task, as the lease holder runs it. Passes over the source until one
 * ends; a pass hit by a task-scope error (source root gone, destination unreachable, full or read-only)
 * waits and retries for the task's retry window, then the round fails with the reason.
 *
 * Resuming: a round is idempotent. A rerun (round+1) and a takeover (same round, higher epoch) run the
 * same compare, so files already at the destination are not copied again; temp files a killed holder
 * left are deleted by the destination's list(). If this agent's item store holds records of the round
 * (copied from the previous holder), files they say were Migrated stay Migrated; otherwise such files
 * count as Unchanged (they were, after all, already at the destination when this holder looked).
 */
import { DEFAULT_TUNING, RoundAbortedError, TaskScopeError, type EngineDeps, type EngineJob, type RoundResult } from './types.ts'
import { runPass } from './pass.ts'
import { Tally } from './tally.ts'

export async function runTaskRound(job: EngineJob, deps: EngineDeps): Promise<RoundResult> {
  const tuning = { ...DEFAULT_TUNING, ...deps.tuning }
  const startedAt = new Date().toISOString()
  const windowMs = job.settings.TaskRetryWindowMinutes * 60_000
  let firstErrorAt: number | null = null
  const finish = (phase: RoundResult['phase'], tally: Tally, failureReason: string | null, abortReason?: string): RoundResult => ({
    phase,
    counts: { ...tally.counts },
    bytes: { ...tally.bytes },
    failureReason,
    ...(abortReason ? { abortReason } : {}),
    ...(phase === 'completed' ? { assessment: tally.assessor.result(job.round) } : {}),
    ...(tally.owners ? { owners: tally.owners } : {}),
    ...(tally.principals ? { principals: tally.principals } : {}),
    startedAt,
    finishedAt: new Date().toISOString(),
  })

  for (;;) {
    const tally = new Tally(job, deps, tuning, startedAt)
    try {
      tally.emitProgress(null, job.settings.ScanOnly ? 'scanning' : 'in-progress')
      await runPass(job, deps, tuning, tally)
      tally.emitProgress(null)
      return finish('completed', tally, null)
    } catch (err) {
      if (err instanceof RoundAbortedError) return finish('aborted', tally, null, err.message)
      if (deps.signal.aborted) return finish('aborted', tally, null, 'cancelled')
      const taskErr = err instanceof TaskScopeError ? err : new TaskScopeError(`unexpected error: ${err instanceof Error ? err.message : String(err)}`, 'TASK_ERROR', { cause: err })
      if (!(err instanceof TaskScopeError)) deps.logger.error({ err, taskId: job.taskId }, 'engine pass failed unexpectedly')
      const now = deps.clock()
      if (firstErrorAt === null || tally.progressed) firstErrorAt = now
      const deadline = firstErrorAt + windowMs
      if (now >= deadline) return finish('failed', tally, taskErr.message)
      const reason = `${taskErr.message}; retrying until ${new Date(Date.now() + (deadline - now)).toISOString()}`
      deps.logger.warn({ taskId: job.taskId, code: taskErr.code }, reason)
      tally.emitProgress(reason, 'waiting')
      await tally.checkpoint(reason, 'waiting')
      try {
        await deps.sleep(Math.max(1, Math.min(tuning.retryIntervalMs, deadline - now)), deps.signal)
      } catch {
        return finish('aborted', tally, null, 'cancelled')
      }
      if (deps.signal.aborted) return finish('aborted', tally, null, 'cancelled')
    }
  }
}
