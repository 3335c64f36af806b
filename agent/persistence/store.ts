/**
 * The agent's level database (DIR/db): one root DB, the ledger's updates in the sublevel 'ledger', and
 * room for others' sublevels (e.g. 'items'). Ledger updates are appended under increasing sequence keys
 * and now and then compacted into one snapshot in a single batch, so a crash at any point leaves either
 * the old updates or the snapshot (which contains them), never neither.
 */
import { Level } from 'level'
import type { AbstractSublevel } from 'abstract-level'
import * as Y from 'yjs'
import { CliError, EXIT } from '../../api/errors.ts'
import { mergeMany } from '../../protocol/merge-updates.ts'

export type RootDb = Level<string, Uint8Array>
type Sub = AbstractSublevel<RootDb, string | Uint8Array, string, Uint8Array>

const SNAPSHOT_KEY = 's'
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

  constructor(root: RootDb) {
    this.sub = root.sublevel<string, Uint8Array>('ledger', { valueEncoding: 'view' })
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
        if (key === SNAPSHOT_KEY) parts.unshift(value)
        else if (key.startsWith('u')) {
          parts.push(value)
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
    for (const u of updates) this.appendedBytes += u.byteLength
    const p = this.writing.then(() => (ops.length === 1 ? this.sub.put(ops[0]!.key, ops[0]!.value) : this.sub.batch(ops as never)))
    this.writing = p.catch(() => {})
    return p
  }

  /**
   * Replaces everything stored so far by one snapshot of the document (which holds all of it), in one
   * batch. Updates appended while the snapshot is taken keep their own keys.
   */
  async compact(doc: Y.Doc): Promise<void> {
    await this.writing
    const upTo = this.nextSeq
    const snapshot = Y.encodeStateAsUpdate(doc)
    const ops: { type: 'del' | 'put'; key: string; value?: Uint8Array }[] = []
    for await (const key of this.sub.keys({ lt: seqKey(upTo), gte: 'u' })) ops.push({ type: 'del', key })
    ops.push({ type: 'put', key: SNAPSHOT_KEY, value: snapshot })
    const p = this.writing.then(() => this.sub.batch(ops as never))
    this.writing = p.catch(() => {})
    await p
    this.appended = Math.max(0, this.appended - (ops.length - 1))
  }

  async flushed(): Promise<void> {
    await this.writing
  }
}
