/** Counters, item records and the progress/checkpoint cadence of one pass over the source. */
import type { ItemRecord } from '../../protocol/items.ts'
import { extensionOf } from '../../protocol/classify.ts'
import type { ByteCounts, Counts, SourcePrincipal } from '../../protocol/records.ts'
import type { PrincipalTally } from '../../protocol/permissions.ts'
import type { EngineDeps, EngineJob, EnginePhase, EngineTuning } from './types.ts'
import { Assessor } from './assess.ts'

/** What the engine knows of an item; the tally adds task, round, source path, extension, device and time. */
export type RecordInput = Pick<ItemRecord, 'destination' | 'name' | 'size' | 'isFolder' | 'status' | 'resultCategory' | 'message' | 'errorCode' | 'readiness'> & {
  relSource: string
}

export class Tally {
  readonly counts: Counts = { scanned: 0, toMigrate: 0, migrated: 0, unchanged: 0, skipped: 0, failed: 0 }
  readonly bytes: ByteCounts = { total: 0, migrated: 0 }
  /** What the scan measures for the round's assessment (assess.ts). */
  readonly assessor = new Assessor()
  private buffer: ItemRecord[] = []
  private flushing: Promise<void> = Promise.resolve()
  private pendingBatches = 0
  private lastProgress = -Infinity
  private lastCheckpoint: number
  private lastBytesAt: number
  private bytesSinceSample = 0
  private throughput = 0
  phase: EnginePhase = 'scanning'
  /** set when the walk has listed everything: the counts' totals stop growing */
  walked = false
  /** Set once a file was copied this pass: progress resets the task-scope retry window. */
  progressed = false
  /** Owning uids of the items seen (their names go into the round's outcome, for `usermap check`). */
  readonly ownerUids = new Set<number>()
  /** Those uids' login names once the pass ended (resolved by the pass). */
  owners: { names: string[]; truncated: boolean } | null = null
  /** The principals of the permission entries read (only when the pass reads permissions). */
  permissionPrincipals: PrincipalTally | null = null
  /** Those principals once the pass ended: the round's outcome names them (null: permissions not read). */
  principals: { list: SourcePrincipal[]; truncated: boolean } | null = null

  constructor(
    private readonly job: EngineJob,
    private readonly deps: EngineDeps,
    private readonly tuning: EngineTuning,
    private readonly startedAt: string,
  ) {
    this.lastCheckpoint = deps.clock()
    this.lastBytesAt = deps.clock()
  }

  private isoAt = -1
  private iso = ''

  /** The record time: one Date and string per millisecond rather than per item. */
  private isoNow(): string {
    const now = Date.now()
    if (now !== this.isoAt) {
      this.isoAt = now
      this.iso = new Date(now).toISOString()
    }
    return this.iso
  }

  /** Full source path as the admin gave it: UNC paths keep backslashes. */
  sourcePath(rel: string): string {
    const src = this.job.spec.source
    if (rel === '') return src
    const unc = src.startsWith('\\\\')
    const sep = unc ? '\\' : '/'
    const base = src.endsWith('/') || src.endsWith('\\') ? src.slice(0, -1) : src
    return base + sep + (unc ? rel.replace(/\//g, '\\') : rel)
  }

  /** An item is seen: scanned, and part of toMigrate until it ends as skipped. */
  seen(): void {
    this.counts.scanned++
    this.counts.toMigrate++
  }

  addBytesTotal(n: number): void {
    this.bytes.total += n
  }

  copiedBytes(n: number): void {
    this.bytesSinceSample += n
  }

  /** The item's end for this round. */
  end(r: RecordInput, options: { bytesAtDestination?: number } = {}): void {
    switch (r.status) {
      case 'Migrated': this.counts.migrated++; break
      case 'Unchanged': this.counts.unchanged++; break
      case 'Failed': this.counts.failed++; break
      case 'Skipped': this.counts.skipped++; this.counts.toMigrate--; break
      case 'Scanned': break
    }
    if (options.bytesAtDestination) this.bytes.migrated += options.bytesAtDestination
    this.assessor.readiness(r.readiness)
    this.buffer.push({
      taskId: this.job.taskId,
      round: this.job.round,
      source: this.sourcePath(r.relSource),
      destination: r.destination,
      name: r.name,
      extension: r.isFolder ? '' : extensionOf(r.name),
      size: r.size,
      isFolder: r.isFolder,
      status: r.status,
      resultCategory: r.resultCategory,
      message: r.message,
      errorCode: r.errorCode,
      device: this.job.device,
      at: this.isoNow(),
      readiness: r.readiness,
    })
    if (this.buffer.length >= this.tuning.recordBatch) void this.flush()
  }

  /** Writes buffered records; writes are chained so they land in order. */
  flush(): Promise<void> {
    if (this.buffer.length === 0) return this.flushing
    const batch = this.buffer
    this.buffer = []
    this.pendingBatches++
    this.flushing = this.flushing.then(() => this.deps.items.putBatch(batch)).finally(() => {
      this.pendingBatches--
    })
    return this.flushing
  }

  /**
   * Progress at most every progressIntervalMs, checkpoint every checkpointIntervalMs. Answers a promise
   * only when there is something to wait for (record writes behind, a checkpoint): the walk calls this
   * for every item, and an await per item is a measurable share of the engine's time on small files.
   */
  tick(force = false): Promise<void> | undefined {
    // Backpressure: copies must not outrun the record writes, or buffered records would grow without bound.
    const behind = this.pendingBatches > 4 ? this.flushing : undefined
    const now = this.deps.clock()
    if (force || now - this.lastProgress >= this.tuning.progressIntervalMs) {
      const dt = now - this.lastBytesAt
      if (dt >= 1000 || force) {
        this.throughput = dt > 0 ? Math.round((this.bytesSinceSample * 1000) / dt) : this.throughput
        this.bytesSinceSample = 0
        this.lastBytesAt = now
      }
      this.lastProgress = now
      this.emitProgress(null)
    }
    if (now - this.lastCheckpoint >= this.tuning.checkpointIntervalMs) {
      this.lastCheckpoint = now
      return (async () => {
        await behind
        await this.flush()
        await this.checkpoint(null)
      })()
    }
    return behind
  }

  emitProgress(waitingReason: string | null, phase: EnginePhase = this.phase): void {
    this.deps.onProgress({ phase, counts: { ...this.counts }, bytes: { ...this.bytes }, waitingReason, throughput: this.throughput, walked: this.walked })
  }

  async checkpoint(waitingReason: string | null, phase: EnginePhase = this.phase): Promise<void> {
    await this.deps.onCheckpoint({
      taskId: this.job.taskId,
      round: this.job.round,
      epoch: this.job.epoch,
      phase,
      counts: { ...this.counts },
      bytes: { ...this.bytes },
      startedAt: this.startedAt,
      waitingReason,
    })
  }
}
