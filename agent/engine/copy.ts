/**
 * One file: compare with what the destination holds, copy if needed (through the per-agent limiter),
 * retry a file that changes while it is read, record the outcome. Task-scope errors and lost leases are
 * handed back through ctx.fail so the walk stops; item errors only fail the item.
 */
import { lstat } from 'node:fs/promises'
import { CATEGORIES, ERROR_CODES } from '../../protocol/classify.ts'
import { DestinationError, type DestinationEntry } from './destination.ts'
import type { Decision } from './decide.ts'
import { asTaskScope, checkSourceRoot } from './task-scope.ts'
import type { Tally } from './tally.ts'
import { RoundAbortedError, type EngineDeps, type EngineJob, type EngineTuning } from './types.ts'
import type { OwnerLookup } from './owner.ts'

export interface CopyContext {
  job: EngineJob
  deps: EngineDeps
  tuning: EngineTuning
  tally: Tally
  /** This round already has item records (a resumed round). */
  resumed: boolean
  fail: (err: unknown) => void
  /** Throws RoundAbortedError when the lease is lost (see leaseCheck). */
  beforeCommit: () => void
  /** The source owner's login name by uid, for the destination's user mapping (owner.ts). */
  ownerOf: OwnerLookup
}

export type Migrate = Extract<Decision, { kind: 'migrate' }>

export type Comparison = 'copy-new' | 'replace' | 'unchanged' | 'destination-newer' | 'conflict'

/**
 * Migration Manager's incremental rules, by path, size and modified time. Times less than 2 s apart are
 * equal (FAT and some SMB servers keep 2 s); a change of 2 s or more counts.
 */
export function compare(src: { size: number; mtimeMs: number }, dst: DestinationEntry | null, toleranceMs: number): Comparison {
  if (dst === null) return 'copy-new'
  if (dst.isFolder) return 'conflict'
  if (dst.partial) return 'replace'
  const diff = dst.mtimeMs - src.mtimeMs
  // mtimeOnly: SharePoint rewrites Office files, so their size there says nothing about their content.
  if (Math.abs(diff) < toleranceMs) return dst.size === src.size || dst.mtimeOnly === true ? 'unchanged' : 'replace'
  return diff > 0 ? 'destination-newer' : 'replace'
}

function withNote(d: Migrate, m: string): string {
  return d.message ? `${m}; ${d.message}` : m
}

/** Before a copy starts, in its limiter slot: a cancelled round or a lost lease ends the pass. */
export function assertStillRunning(deps: EngineDeps): void {
  if (deps.signal.aborted) throw new RoundAbortedError('cancelled')
  if (!deps.leaseHeld()) throw new RoundAbortedError('lease lost')
  const drain = deps.draining?.()
  if (drain) throw new RoundAbortedError(drain)
}

/** One per pass: the lease check before each commit, without a closure per file. */
export function leaseCheck(deps: EngineDeps): () => void {
  return () => {
    if (!deps.leaseHeld()) throw new RoundAbortedError('lease lost')
  }
}

/**
 * Settles a file that needs no copy (unchanged, destination newer, a folder in the way) and records it;
 * answers null then. Otherwise answers what copyFile will do, or 'check' when the answer needs the item
 * store (an unchanged file in a resumed round): copyFile settles those.
 */
export function settleWithoutCopy(ctx: CopyContext, d: Migrate, rel: string, existing: DestinationEntry | null): 'copy-new' | 'replace' | 'check' | null {
  const verdict = compare(d.entry, existing, ctx.tuning.mtimeToleranceMs)
  if (verdict === 'copy-new' || verdict === 'replace') return verdict
  if (verdict === 'unchanged' && ctx.resumed) return 'check'
  const dest = ctx.deps.destination.displayPath(d.destRel)
  const base = { relSource: rel, destination: dest, name: d.entry.name, isFolder: false, size: d.entry.size }
  if (verdict === 'unchanged') {
    ctx.tally.end({ ...base, status: 'Unchanged', resultCategory: CATEGORIES.unchanged, message: withNote(d, 'same size and modified time at the destination'), errorCode: '', readiness: d.renamed ? 'warning' : 'ready' }, { bytesAtDestination: d.entry.size })
  } else if (verdict === 'destination-newer') {
    leaveNewer(ctx, d, base, `destination is newer (modified ${new Date(existing!.mtimeMs).toISOString()}, source ${new Date(d.entry.mtimeMs).toISOString()}); left alone`)
  } else {
    ctx.tally.end({ ...base, status: 'Failed', resultCategory: CATEGORIES.destinationError, message: 'a folder with this name is at the destination', errorCode: 'DEST_CONFLICT', readiness: 'error' })
  }
  return null
}

type RecordBase = { relSource: string; destination: string; name: string; isFolder: boolean; size: number }

/** Never replace newer content: seen by the comparison, or saved at the destination while we copied. */
function leaveNewer(ctx: CopyContext, d: Migrate, base: RecordBase, message: string): void {
  ctx.tally.bytes.total -= base.size
  ctx.tally.end({ ...base, status: 'Skipped', resultCategory: CATEGORIES.destinationNewer, message: withNote(d, message), errorCode: ERROR_CODES.destinationNewer, readiness: 'warning' })
}

/** A file copied and verified; `extra`: what its permissions step says (FilePermissions). */
export function recordCopied(ctx: CopyContext, d: Migrate, rel: string, size: number, replaced: boolean, extra?: AfterPut): void {
  ctx.tally.copiedBytes(size)
  ctx.tally.progressed = true
  ctx.tally.end({ relSource: rel, destination: ctx.deps.destination.displayPath(d.destRel), name: d.entry.name, isFolder: false, size, status: 'Migrated', resultCategory: CATEGORIES.success, message: withExtra(withNote(d, replaced ? 'replaced an older copy' : ''), extra), errorCode: '', readiness: d.renamed || extra?.warning ? 'warning' : 'ready' }, { bytesAtDestination: size })
}

/** What a step run once the file is at the destination adds to its record (its own permissions). */
export interface AfterPut {
  note: string
  warning: boolean
}

function withExtra(message: string, extra: AfterPut | undefined): string {
  if (!extra?.note) return message
  return message ? `${message}; ${extra.note}` : extra.note
}

/**
 * One file, start to end. `firstError`: the file was already tried once (in a batch, copy-batch.ts) and
 * failed with this; the retries and the record go as if this function's own first attempt had.
 */
export async function copyFile(ctx: CopyContext, d: Migrate, rel: string, existing: DestinationEntry | null, firstError?: unknown, after?: (isNew: boolean) => Promise<AfterPut>): Promise<void> {
  const { deps, tally, tuning, job } = ctx
  const dest = deps.destination.displayPath(d.destRel)
  const base = { relSource: rel, destination: dest, name: d.entry.name, isFolder: false }
  const readiness = d.renamed ? ('warning' as const) : ('ready' as const)
  let size = d.entry.size
  let mtimeMs = d.entry.mtimeMs

  const verdict = compare({ size, mtimeMs }, existing, tuning.mtimeToleranceMs)
  if (verdict === 'unchanged' && ctx.resumed) {
    // Copied earlier in this round by the holder before a takeover: it stays Migrated.
    const prior = await deps.items.get(job.taskId, job.round, tally.sourcePath(rel))
    const migrated = prior?.status === 'Migrated'
    const extra = await afterSafely(ctx, after, false)
    if (extra === null) return
    tally.end({ ...base, size, status: migrated ? 'Migrated' : 'Unchanged', resultCategory: migrated ? CATEGORIES.success : CATEGORIES.unchanged, message: withExtra(withNote(d, migrated ? 'copied earlier in this round (before a takeover)' : 'same size and modified time at the destination'), extra), errorCode: '', readiness: extra?.warning ? 'warning' : readiness }, { bytesAtDestination: size })
    return
  }
  if (verdict === 'unchanged' && after) {
    const extra = await afterSafely(ctx, after, false)
    if (extra === null) return
    tally.end({ ...base, size, status: 'Unchanged', resultCategory: CATEGORIES.unchanged, message: withExtra(withNote(d, 'same size and modified time at the destination'), extra), errorCode: '', readiness: extra?.warning ? 'warning' : readiness }, { bytesAtDestination: size })
    return
  }
  if (verdict !== 'copy-new' && verdict !== 'replace') {
    settleWithoutCopy(ctx, d, rel, existing)
    return
  }

  let lastError = ''
  let lastCode = ''
  for (let attempt = 1; attempt <= tuning.fileAttempts; attempt++) {
    try {
      if (attempt === 1 && firstError !== undefined) throw firstError
      const owner = d.entry.uid === null ? null : await ctx.ownerOf(d.entry.uid)
      await deps.limiter(async () => {
        assertStillRunning(deps)
        await deps.destination.putFile(
          d.destRel,
          { localPath: d.entry.localPath, size, mtimeMs, birthtimeMs: d.entry.birthtimeMs, owner, dev: d.entry.dev, ino: d.entry.ino },
          {
            signal: deps.signal,
            overwrite: verdict === 'replace',
            beforeCommit: ctx.beforeCommit,
          },
        )
      })
      const extra = await afterSafely(ctx, after, verdict === 'copy-new')
      if (extra === null) return
      recordCopied(ctx, d, rel, size, verdict === 'replace', extra)
      return
    } catch (err) {
      if (err instanceof RoundAbortedError) return ctx.fail(err)
      if (err instanceof Error && err.name === 'AbortError') return ctx.fail(new RoundAbortedError('cancelled'))
      if (!(err instanceof DestinationError)) return ctx.fail(asTaskScope(err, `copying ${d.entry.localPath}`))
      if (err.scope === 'task') return ctx.fail(asTaskScope(err, 'destination'))
      if (err.code === ERROR_CODES.destinationNewer) return leaveNewer(ctx, d, { ...base, size }, err.message)
      lastError = err.message
      lastCode = err.code
      if (err.code === ERROR_CODES.cannotAccessSource) {
        try {
          await checkSourceRoot(job.sourceRoot)
        } catch (rootErr) {
          return ctx.fail(rootErr)
        }
        break
      }
      if (err.code === ERROR_CODES.changedWhileReading) {
        // Take the file as it is now and read it again (lstat: a link swapped in is not followed; the
        // read checks it is still the file listed, by device and inode).
        const st = await lstat(d.entry.localPath).catch(() => null)
        if (!st) break
        // Something else now (a link, a FIFO): the next read fails and says what it is.
        if (!st.isFile()) continue
        tally.bytes.total += st.size - size
        size = st.size
        mtimeMs = st.mtimeMs
        continue
      }
      if (!err.retryable) break
    }
  }
  const message = lastCode === ERROR_CODES.changedWhileReading ? `the file kept changing while it was read (${tuning.fileAttempts} attempts); copy it when it is quiet` : lastError
  const category = lastCode === ERROR_CODES.cannotAccessSource || lastCode === ERROR_CODES.changedWhileReading ? CATEGORIES.sourceReadError : CATEGORIES.destinationError
  tally.end({ ...base, size, status: 'Failed', resultCategory: category, message, errorCode: lastCode, readiness: 'error' })
}

/** Runs the after-put step; an error that stops the pass goes to ctx.fail and answers null. */
async function afterSafely(ctx: CopyContext, after: ((isNew: boolean) => Promise<AfterPut>) | undefined, isNew: boolean): Promise<AfterPut | undefined | null> {
  if (!after) return undefined
  try {
    return await after(isNew)
  } catch (err) {
    ctx.fail(err)
    return null
  }
}
