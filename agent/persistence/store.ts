/**
 * The agent's level database (DIR/db): one root DB, the ledger's updates in the sublevel 'ledger', and
 * room for others' sublevels (e.g. 'items'). Ledger updates are appended under increasing sequence keys
 * and now and then compacted (merged in groups, or into one snapshot) in a single batch, so a crash at
 * any point leaves either the old updates or what replaced them (which contains them), never neither.
 */
import { Level } from 'level'
import type { AbstractSublevel } from 'abstract-level'
import * as Y from 'yjs'
import { CliError, EXIT } from '../../api/errors.ts'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { groupBySize, mergeMany } from '../../protocol/merge-updates.ts'

export type RootDb = Level<string, Uint8Array>
type Sub = AbstractSublevel<RootDb, string | Uint8Array, string, Uint8Array>

const SNAPSHOT_KEY = 's'
/** Updates appended since the last compaction are merged in groups of about this many bytes. */
const MERGE_GROUP_BYTES = 2 * 1024 * 1024
/** A snapshot of the whole document is taken no sooner than this many bytes after the last one. */
const FULL_SNAPSHOT_MIN_BYTES = 64 * 1024 * 1024
const seqKey = (n: number) => `u${n.toString().padStart(16, '0')}`

export async function openRootDb(location: string, dir: string): Promise<RootDb> {
  const db = new Level<string, Uint8Array>(location, { valueEncoding: 'view' })
  try {
    await db.open()
  } catch (err) {
    const e = err as Error & { code?: string; cause?: Error & { code?: string } }
    const code = e.code ?? ''
    const cause = e.cause?.message ?? ''
    if (code === 'LEVEL_LOCKED' || e.cause?.code === 'LEVEL_LOCKED' || /lock/i.test(cause)) {
      throw new CliError(`data dir ${dir} is in use by another process (its database ${location} is locked); stop the other agent or use another --data`, EXIT.dataDirBusy)
    }
    throw new CliError(
      `ledger database ${location} cannot be opened (${cause || e.message}): move it away (mv ${location} ${location}.bad) and start again; the agent re-syncs the ledger from its peers`,
      EXIT.dataDirBusy,
    )
  }
  return db
}

export class LedgerStore {
  private readonly sub: Sub
  private nextSeq = 0
  private appended = 0
  private writing: Promise<void> = Promise.resolve()
  /** bytes appended in this run (idle-growth measurements) */
  appendedBytes = 0
  /** size of the stored snapshot of the whole document, and bytes stored beside it */
  private snapshotBytes = 0
  private bytesSinceSnapshot = 0
  /** updates below this sequence number are merged already */
  private mergedBelow = 0

  private readonly mergeGroupBytes: number
  private readonly fullSnapshotMinBytes: number

  constructor(root: RootDb, opts: { mergeGroupBytes?: number; fullSnapshotMinBytes?: number } = {}) {
    this.sub = root.sublevel<string, Uint8Array>('ledger', { valueEncoding: 'view' })
    this.mergeGroupBytes = opts.mergeGroupBytes ?? MERGE_GROUP_BYTES
    this.fullSnapshotMinBytes = opts.fullSnapshotMinBytes ?? FULL_SNAPSHOT_MIN_BYTES
  }

  /** Updates stored since the last compaction. */
  get pendingCount(): number {
    return this.appended
  }

  /**
   * Loads the snapshot and every appended update, merged into one update (cheaper to apply than many).
   * Throws a CliError naming the fix when the stored bytes do not decode.
   */
  async load(location: string): Promise<Uint8Array | null> {
    const parts: Uint8Array[] = []
    try {
      for await (const [key, value] of this.sub.iterator()) {
        if (key === SNAPSHOT_KEY) {
          parts.unshift(value)
          this.snapshotBytes = value.byteLength
        } else if (key.startsWith('u')) {
          parts.push(value)
          this.bytesSinceSnapshot += value.byteLength
          this.nextSeq = Math.max(this.nextSeq, Number.parseInt(key.slice(1), 10) + 1)
          this.appended++
        }
      }
    } catch (err) {
      throw new CliError(`ledger database ${location} is unreadable (${(err as Error).message}): move it away (mv ${location} ${location}.bad) and start again; the agent re-syncs from its peers`, EXIT.dataDirBusy)
    }
    if (parts.length === 0) return null
    try {
      // mergeUpdates parses every part; a single part is parsed by decodeUpdate, so garbage fails here
      if (parts.length === 1) Y.decodeUpdate(parts[0]!)
      return mergeMany(parts)
    } catch (err) {
      throw new CliError(`ledger database ${location} holds an update that does not decode (${(err as Error).message}): move it away (mv ${location} ${location}.bad) and start again; the agent re-syncs from its peers`, EXIT.dataDirBusy)
    }
  }

  /** Appends one update; resolves once it is on disk. Writes are serialised so sequence order is kept. */
  append(update: Uint8Array): Promise<void> {
    return this.appendMany([update])
  }

  /** Appends updates in order, all or none (one batch): a large change stored in parts is never half there. */
  appendMany(updates: readonly Uint8Array[]): Promise<void> {
    const ops = updates.map((value) => ({ type: 'put' as const, key: seqKey(this.nextSeq++), value }))
    this.appended += updates.length
    for (const u of updates) {
      this.appendedBytes += u.byteLength
      this.bytesSinceSnapshot += u.byteLength
    }
    const p = this.writing.then(() => (ops.length === 1 ? this.sub.put(ops[0]!.key, ops[0]!.value) : this.sub.batch(ops as never)))
    this.writing = p.catch(() => {})
    return p
  }

  /**
   * Keeps the stored updates few and small. Most of the time the updates appended since the last
   * compaction are merged into groups of about MERGE_GROUP_BYTES (each group replaced by its merge, all in
   * one batch), with a turn for other work between groups; everything stored before is left as it is. A
   * snapshot of the whole document (which drops what later writes overwrote) is taken only once as many
   * bytes were stored since the last one as it held, and at least FULL_SNAPSHOT_MIN_BYTES: at 100,000
   * tasks encoding it holds the event loop ~2 s, which every 500 appends (a fresh agent's pull and the
   * claims that follow) used to cost.
   */
  async compact(doc: Y.Doc): Promise<void> {
    await this.writing
    const upTo = this.nextSeq
    const full = this.bytesSinceSnapshot >= Math.max(this.fullSnapshotMinBytes, this.snapshotBytes)
    const ops: { type: 'del' | 'put'; key: string; value?: Uint8Array }[] = []
    let counted = 0
    if (full) {
      const snapshot = Y.encodeStateAsUpdate(doc)
      for await (const key of this.sub.keys({ lt: seqKey(upTo), gte: 'u' })) ops.push({ type: 'del', key })
      ops.push({ type: 'put', key: SNAPSHOT_KEY, value: snapshot })
      counted = ops.length - 1
    } else {
      const keys: string[] = []
      const values: Uint8Array[] = []
      for await (const [key, value] of this.sub.iterator({ gte: seqKey(this.mergedBelow), lt: seqKey(upTo) })) {
        keys.push(key)
        values.push(value)
      }
      counted = keys.length
      // Runs of small updates are merged; a part of a push or a sync (hundreds of KB, already one
      // transaction's worth of structs) is kept as it is: merging those re-encoded a 40 MB pull for nothing.
      for (const run of runsOfSmall(values, this.mergeGroupBytes / 4)) {
        let at = run.from
        for (const group of groupBySize(values.slice(run.from, run.to), this.mergeGroupBytes)) {
          if (group.length > 1) {
            ops.push({ type: 'put', key: keys[at]!, value: mergeMany(group) })
            for (let i = 1; i < group.length; i++) ops.push({ type: 'del', key: keys[at + i]! })
            await nextTurn()
          }
          at += group.length
        }
      }
    }
    const p = this.writing.then(() => (ops.length > 0 ? this.sub.batch(ops as never) : undefined))
    this.writing = p.catch(() => {})
    await p
    this.appended = Math.max(0, this.appended - counted)
    this.mergedBelow = upTo
    if (full) {
      this.snapshotBytes = ops.at(-1)!.value!.byteLength
      this.bytesSinceSnapshot = 0
    }
  }

  async flushed(): Promise<void> {
    await this.writing
  }
}

/** Index ranges [from, to) of consecutive updates smaller than `bytes`. */
function runsOfSmall(updates: readonly Uint8Array[], bytes: number): { from: number; to: number }[] {
  const runs: { from: number; to: number }[] = []
  let from = -1
  updates.forEach((u, i) => {
    if (u.byteLength < bytes) {
      if (from < 0) from = i
    } else if (from >= 0) {
      runs.push({ from, to: i })
      from = -1
    }
  })
  if (from >= 0) runs.push({ from, to: updates.length })
  return runs
}
