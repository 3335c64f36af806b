/**
 * The item-result store: one ItemRecord per file or folder per round, in the agent's level database
 * (never in the ledger). Keys are `taskId!round!source` with the round zero-padded, so one task's round
 * is one contiguous, sorted key range: reports stream it in a stable order with bounded memory, and a
 * round can be exported, replicated and deleted as a range.
 */
import type { AbstractSublevel } from 'abstract-level'
import { ITEM_STATUSES, type ItemRecord, type ItemStatus } from '../../protocol/items.ts'

/**
 * Any level database or sublevel. Typed structurally: `level` and `abstract-level` can be different
 * copies in node_modules, and their class types do not unify.
 */
export interface SublevelCapable {
  sublevel(name: string, options: { valueEncoding: 'json' }): unknown
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Items = AbstractSublevel<any, any, string, ItemRecord>

export interface ItemRoundCount {
  total: number
  byStatus: Record<ItemStatus, number>
}

export interface ItemStore {
  /** Writes records in one atomic batch; a record replaces any earlier one for the same task, round and source. */
  putBatch(records: readonly ItemRecord[]): Promise<void>
  get(taskId: string, round: number, source: string): Promise<ItemRecord | null>
  getMany(taskId: string, round: number, sources: readonly string[]): Promise<Array<ItemRecord | null>>
  /** Streams one round in key order (source path order). `after`: resume after this source (paging). */
  iterate(taskId: string, round: number, options?: { after?: string; status?: ItemStatus; limit?: number }): AsyncIterable<ItemRecord>
  hasRound(taskId: string, round: number): Promise<boolean>
  count(taskId: string, round: number): Promise<ItemRoundCount>
  /** Rounds that have records for the task, ascending. */
  rounds(taskId: string): Promise<number[]>
  deleteRound(taskId: string, round: number): Promise<void>
  /** Batches for replication to other agents, in key order. */
  exportBatches(taskId: string, round: number, batchSize?: number): AsyncIterable<ItemRecord[]>
  /** Stores records received from another agent (validated: peer data is untrusted). */
  importBatch(records: readonly unknown[]): Promise<number>
}

const ROUND_DIGITS = 8

function roundPrefix(taskId: string, round: number): string {
  return `${taskId}!${String(round).padStart(ROUND_DIGITS, '0')}!`
}

function keyOf(r: Pick<ItemRecord, 'taskId' | 'round' | 'source'>): string {
  return roundPrefix(r.taskId, r.round) + r.source
}

/** '!' + 1: the first key after every key that starts with `prefix`. */
function upperBound(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)
}

export function createItemStore(db: SublevelCapable, options: { sublevel?: string } = {}): ItemStore {
  const items = db.sublevel(options.sublevel ?? 'items', { valueEncoding: 'json' }) as Items

  async function* iterate(taskId: string, round: number, opts: { after?: string; status?: ItemStatus; limit?: number } = {}) {
    const prefix = roundPrefix(taskId, round)
    const range = opts.after !== undefined ? { gt: prefix + opts.after, lt: upperBound(prefix) } : { gte: prefix, lt: upperBound(prefix) }
    let n = 0
    for await (const value of items.values(range)) {
      if (opts.status && value.status !== opts.status) continue
      yield value
      if (opts.limit !== undefined && ++n >= opts.limit) return
    }
  }

  return {
    async putBatch(records) {
      if (records.length === 0) return
      await items.batch(records.map((r) => ({ type: 'put' as const, key: keyOf(r), value: r })))
    },
    async get(taskId, round, source) {
      return (await items.get(roundPrefix(taskId, round) + source)) ?? null
    },
    async getMany(taskId, round, sources) {
      const prefix = roundPrefix(taskId, round)
      const got = await items.getMany(sources.map((s) => prefix + s))
      return got.map((v) => v ?? null)
    },
    iterate,
    async hasRound(taskId, round) {
      const prefix = roundPrefix(taskId, round)
      for await (const _ of items.keys({ gte: prefix, lt: upperBound(prefix), limit: 1 })) return true
      return false
    },
    async count(taskId, round) {
      const byStatus = Object.fromEntries(ITEM_STATUSES.map((s) => [s, 0])) as Record<ItemStatus, number>
      let total = 0
      for await (const r of iterate(taskId, round)) {
        total++
        byStatus[r.status] = (byStatus[r.status] ?? 0) + 1
      }
      return { total, byStatus }
    },
    async rounds(taskId) {
      const out: number[] = []
      const prefix = `${taskId}!`
      let from = prefix
      // Hop from round to round instead of reading every record.
      for (;;) {
        let found: string | undefined
        for await (const k of items.keys({ gte: from, lt: upperBound(prefix), limit: 1 })) found = k
        if (found === undefined) return out
        const round = Number(found.slice(prefix.length, prefix.length + ROUND_DIGITS))
        out.push(round)
        from = upperBound(roundPrefix(taskId, round))
      }
    },
    async deleteRound(taskId, round) {
      const prefix = roundPrefix(taskId, round)
      await items.clear({ gte: prefix, lt: upperBound(prefix) })
    },
    async *exportBatches(taskId, round, batchSize = 1000) {
      let batch: ItemRecord[] = []
      for await (const r of iterate(taskId, round)) {
        batch.push(r)
        if (batch.length >= batchSize) {
          yield batch
          batch = []
        }
      }
      if (batch.length > 0) yield batch
    },
    async importBatch(records) {
      const valid = records.filter(isItemRecord)
      if (valid.length !== records.length) throw new Error(`item batch refused: ${records.length - valid.length} of ${records.length} records are malformed`)
      await this.putBatch(valid)
      return valid.length
    },
  }
}

/** Shape check for records from peers; keeps it cheap because batches hold thousands. */
export function isItemRecord(v: unknown): v is ItemRecord {
  if (typeof v !== 'object' || v === null) return false
  const r = v as Record<string, unknown>
  return (
    typeof r.taskId === 'string' && /^[A-Za-z0-9_-]{4,64}$/.test(r.taskId) &&
    Number.isInteger(r.round) && (r.round as number) >= 0 && (r.round as number) < 1e6 &&
    typeof r.source === 'string' && r.source.length > 0 && r.source.length <= 32767 &&
    typeof r.destination === 'string' && typeof r.name === 'string' && typeof r.extension === 'string' &&
    typeof r.size === 'number' && r.size >= 0 && typeof r.isFolder === 'boolean' &&
    (ITEM_STATUSES as readonly string[]).includes(r.status as string) &&
    typeof r.resultCategory === 'string' && typeof r.message === 'string' && typeof r.errorCode === 'string' &&
    typeof r.device === 'string' && typeof r.at === 'string' &&
    (r.readiness === 'ready' || r.readiness === 'warning' || r.readiness === 'error')
  )
}
