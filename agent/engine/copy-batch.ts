/**
 * Small files in batches, for destinations that take them (Destination.putFiles: the file:// folder).
 * A folder's small files to copy are gathered into batches of a few dozen; each batch is one limiter
 * slot and one call, and its files are recorded one by one from the answer. A file that fails in a batch
 * goes on through copyFile, which retries it (a file that changed while read is read again) and records
 * why it failed: the batch changes the cost per file, never the outcome.
 *
 * Why: per file, the single-file path costs a promise chain (copy, limiter, put, worker reply) on the
 * main thread; at 20,000 files of 4 KB that was ~40 µs a file, the largest part of the engine's own CPU.
 */
import type { BatchFile, BatchOutcome, Destination, DestinationEntry } from './destination.ts'
import { assertStillRunning, copyFile, recordCopied, type CopyContext, type Migrate } from './copy.ts'
import { asTaskScope } from './task-scope.ts'

export interface BatchEntry {
  d: Migrate
  rel: string
  existing: DestinationEntry | null
  overwrite: boolean
}

/** A batch is sent when it holds this many files or bytes, or when its folder ends. */
export const BATCH_FILES = 32
export const BATCH_BYTES = 4 << 20

type BatchingDestination = Required<Pick<Destination, 'putFiles' | 'batchFileMax'>>

export class SmallFileBatcher {
  private entries: BatchEntry[] = []
  private bytes = 0
  readonly maxFileSize: number

  constructor(
    private readonly ctx: CopyContext,
    private readonly destination: BatchingDestination,
  ) {
    this.maxFileSize = destination.batchFileMax
  }

  /** Adds a file; answers true when the batch is full and should be sent (take()). */
  add(e: BatchEntry): boolean {
    this.entries.push(e)
    this.bytes += e.d.entry.size
    return this.entries.length >= BATCH_FILES || this.bytes >= BATCH_BYTES
  }

  get pending(): number {
    return this.entries.length
  }

  /** The batch so far, as one copy to put in flight. */
  take(): Promise<void> {
    const batch = this.entries
    this.entries = []
    this.bytes = 0
    return copyBatch(this.ctx, this.destination, batch)
  }
}

/** Batches are for destinations that offer them; null means every file takes the single-file path. */
export function batcherFor(ctx: CopyContext): SmallFileBatcher | null {
  const dest = ctx.deps.destination
  if (!dest.putFiles || !dest.batchFileMax) return null
  return new SmallFileBatcher(ctx, { putFiles: dest.putFiles.bind(dest), batchFileMax: dest.batchFileMax })
}

/** Never rejects: task-scope errors and lost leases go to ctx.fail, as copyFile's do. */
async function copyBatch(ctx: CopyContext, dest: BatchingDestination, batch: BatchEntry[]): Promise<void> {
  const { deps } = ctx
  // The destinations that take batches do not map owners (Destination.putFiles): none is looked up.
  const files: BatchFile[] = batch.map((e) => ({
    relPath: e.d.destRel,
    source: { localPath: e.d.entry.localPath, size: e.d.entry.size, mtimeMs: e.d.entry.mtimeMs, birthtimeMs: e.d.entry.birthtimeMs, owner: null, dev: e.d.entry.dev, ino: e.d.entry.ino },
    overwrite: e.overwrite,
  }))
  let outcomes: BatchOutcome[]
  try {
    outcomes = await deps.limiter(() => {
      assertStillRunning(deps)
      return dest.putFiles(files, { signal: deps.signal, beforeCommit: ctx.beforeCommit })
    })
  } catch (err) {
    // asTaskScope passes a lost lease through and makes an abort a cancel.
    return ctx.fail(asTaskScope(err, `copying ${batch.length} files into ${deps.destination.displayPath(batch[0]!.d.destRel)}`))
  }
  const failed: number[] = []
  for (let i = 0; i < batch.length; i++) {
    const o = outcomes[i]!
    const e = batch[i]!
    if (o.ok) recordCopied(ctx, e.d, e.rel, o.result.size, e.overwrite)
    else failed.push(i)
  }
  for (const i of failed) {
    const e = batch[i]!
    await copyFile(ctx, e.d, e.rel, e.existing, (outcomes[i] as { error: unknown }).error)
  }
}
