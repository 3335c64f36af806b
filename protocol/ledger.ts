/**
 * The ledger: one Y.Doc with six flat maps of plain JSON records under composite string keys (nested
 * Y.Maps created lazily by two replicas lose one of them; flat keys cannot). This module is the only
 * place that knows the layout. Readers validate every record (and check signatures of execution records)
 * the first time it is read after a change, keep an index per task that is updated incrementally from Yjs
 * events, and report invalid records through `onInvalid` instead of throwing: a peer's bad record must
 * never reach the app.
 *
 * Why lazily: a fresh agent pulling 100,000 tasks, or a peer receiving a 10,000-task import, would
 * otherwise validate every record on arrival although most are read later or never (finished tasks).
 * The indexes need no validation: claim and outcome keys start with their task id, and a record whose
 * content does not match its key is refused when read. A valid record is cached as the very object the
 * document holds (frozen, so no reader can change the document behind Yjs's back), not as a copy.
 */
import * as Y from 'yjs'
import {
  SCHEMA_VERSION,
  agentRecordSchema,
  batchSchema,
  claimSchema,
  commandSchema,
  outcomeSchema,
  signingBytes,
  taskSpecSchema,
  type AgentRecord,
  type ClaimRecord,
  type CommandRecord,
  type OutcomeRecord,
  type TaskSpec,
} from './records.ts'
import type { z } from 'zod'
import { MAX_CLOCK_SKEW_MS, hlcTooFarAhead } from './hlc.ts'
import { LedgerIndex } from './ledger-index.ts'
import { MAX_BATCH_TASKS, batchOf, isEntry } from './ledger-batch.ts'
import { finish, type Steps } from './steps.ts'
import { MAP_NAMES, batchKey, checkRecord, claimKey, commandKey, outcomeKey, tasksTouched, type BatchCheck, type MapName, type SignatureCheck } from './ledger-validate.ts'

export { MAP_NAMES, batchKey, claimKey, commandKey, outcomeKey, tasksTouched, type MapName, type SignatureCheck }

/** Cached for a task whose batch has not arrived (or does not check): read as absent, checked again when it changes. */
const WAITING = Symbol('waiting for its batch')

/** Checks an Ed25519 signature made by `agentId` (a peer id that embeds its public key). Injected: protocol does no I/O. */
export type SignatureVerifier = (agentId: string, data: Uint8Array, signature: string) => boolean
export interface RecordSigner {
  agentId: string
  sign(data: Uint8Array): string
}
export type InvalidRecordHandler = (map: MapName, key: string, reason: string) => void

export interface LedgerOptions {
  verify: SignatureVerifier
  onInvalid?: InvalidRecordHandler
  /** This replica's wall clock (ms), for commands dated too far ahead of it. Injected: protocol reads no clock. */
  nowMs?: () => number
  /** default MAX_CLOCK_SKEW_MS */
  maxClockSkewMs?: number
}

type Unsigned<T> = Omit<T, 'sig' | 'v'>
/** a task as its creator gives it to addTasks: the ledger adds the version, creator and signature */
export type NewTask = Omit<TaskSpec, 'v' | 'sig' | 'createdBy' | 'batch' | 'batchIndex'> & { createdBy?: string }

export class Ledger {
  readonly doc: Y.Doc
  private readonly maps: Record<MapName, Y.Map<unknown>>
  private readonly verify: SignatureVerifier
  private readonly onInvalid: InvalidRecordHandler
  // Records validated since their last change, by key; `null` marks an invalid one (reported once per change),
  // WAITING a task whose batch is missing.
  private readonly cache: Record<MapName, Map<string, unknown>>
  private readonly index = new LedgerIndex()
  /** the hash lists of batches read as valid, decoded once */
  private readonly batchHashes = new Map<string, Uint8Array>()
  private readonly listeners = new Set<(changed: LedgerChange) => void>()
  /** records this replica is writing now (writeOwn), by map and key: cached as checked when indexed */
  private readonly own: Record<MapName, Map<string, unknown>>
  private readonly nowMs: () => number
  private readonly maxClockSkewMs: number
  /** command keys reported as dated ahead of our clock (once each, until they count) */
  private readonly aheadReported = new Set<string>()

  constructor(doc: Y.Doc, options: LedgerOptions) {
    this.doc = doc
    this.verify = options.verify
    this.onInvalid = options.onInvalid ?? (() => {})
    this.nowMs = options.nowMs ?? (() => Date.now())
    this.maxClockSkewMs = options.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS
    this.maps = Object.fromEntries(MAP_NAMES.map((n) => [n, doc.getMap<unknown>(n)])) as Record<MapName, Y.Map<unknown>>
    this.cache = Object.fromEntries(MAP_NAMES.map((n) => [n, new Map()])) as Record<MapName, Map<string, unknown>>
    this.own = Object.fromEntries(MAP_NAMES.map((n) => [n, new Map()])) as Record<MapName, Map<string, unknown>>
    for (const name of MAP_NAMES) {
      for (const key of this.maps[name].keys()) this.indexKey(name, key)
      this.maps[name].observe((event) => {
        const keys = [...event.keysChanged]
        const own = this.own[name]
        const recheck: string[] = []
        for (const key of keys) {
          recheck.push(...this.indexKey(name, key))
          const mine = own.get(key)
          if (mine !== undefined && this.maps[name].get(key) === mine) this.cache[name].set(key, deepFreeze(mine))
        }
        const local = event.transaction.local
        this.emit({ map: name, keys, local })
        // tasks whose batch changed read differently now (typically: their batch arrived after them)
        if (recheck.length > 0) this.emit({ map: 'tasks', keys: recheck, local })
      })
    }
  }

  private emit(change: LedgerChange): void {
    for (const l of this.listeners) l(change)
  }

  /** Called after every change with the map and keys touched (already re-indexed). */
  onChange(listener: (change: LedgerChange) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  // ---------------------------------------------------------------- readers

  task(id: string): TaskSpec | undefined {
    return this.read('tasks', id) as TaskSpec | undefined
  }

  tasks(): TaskSpec[] {
    return this.readAll('tasks') as TaskSpec[]
  }

  taskCount(): number {
    return this.maps.tasks.size
  }

  /** Every task key, unread: to read (and so check) a large ledger a slice at a time. */
  taskIds(): string[] {
    return [...this.maps.tasks.keys()]
  }

  command(key: string): CommandRecord | undefined {
    return this.read('commands', key) as CommandRecord | undefined
  }

  commands(): CommandRecord[] {
    return this.readAll('commands') as CommandRecord[]
  }

  /** Commands whose target is this task, agent or setting key. */
  commandsFor(target: string): CommandRecord[] {
    return this.readKeys('commands', this.index.commandsFor(target)) as CommandRecord[]
  }

  claimsFor(taskId: string): ClaimRecord[] {
    return this.readKeys('claims', this.index.claimsFor(taskId)) as ClaimRecord[]
  }

  claims(): ClaimRecord[] {
    return this.readAll('claims') as ClaimRecord[]
  }

  outcomesFor(taskId: string): OutcomeRecord[] {
    return this.readKeys('outcomes', this.index.outcomesFor(taskId)) as OutcomeRecord[]
  }

  outcomes(): OutcomeRecord[] {
    return this.readAll('outcomes') as OutcomeRecord[]
  }

  agent(id: string): AgentRecord | undefined {
    return this.read('agents', id) as AgentRecord | undefined
  }

  agents(): AgentRecord[] {
    return this.readAll('agents') as AgentRecord[]
  }

  /** Raw key count per map, for digests, tests and the fleet totals. */
  sizes(): Record<MapName, number> {
    return Object.fromEntries(MAP_NAMES.map((n) => [n, this.maps[n].size])) as Record<MapName, number>
  }

  /** The content of every map as plain JSON (raw records, valid or not): for ledger.json and convergence checks. */
  toJSON(): Record<MapName, Record<string, unknown>> {
    return Object.fromEntries(MAP_NAMES.map((n) => [n, this.maps[n].toJSON()])) as Record<MapName, Record<string, unknown>>
  }

  // ---------------------------------------------------------------- writers

  /** addTasksSteps at once. */
  addTasks(signer: RecordSigner, specs: NewTask[]): void {
    finish(this.addTasksSteps(signer, specs))
  }

  /**
   * A task's spec is written once, by its creator; an id that exists is refused. One task is signed alone;
   * several (an import) a batch of up to MAX_BATCH_TASKS at a time, one signature over the tasks' hashes,
   * so a reader verifies one signature per batch. A batch per step (import-sized work yields between
   * them); the writes come last, together: a transaction per batch, all in the same turn, so no reader
   * sees part of them, the store keeps them in one write, and peers get parts (replication/flush-queue.ts).
   */
  *addTasksSteps(signer: RecordSigner, specs: NewTask[]): Steps<void> {
    const writes: [MapName, string, unknown][][] = []
    if (specs.length === 1) {
      const r = this.sign(signer, taskSpecSchema, { ...specs[0]!, createdBy: signer.agentId })
      writes.push([['tasks', r.id, r]])
    }
    for (let at = 0; specs.length > 1 && at < specs.length; at += MAX_BATCH_TASKS) {
      const b = batchOf(signer.agentId, specs.slice(at, at + MAX_BATCH_TASKS))
      // the batch first: its map's observer then runs before the tasks' one (Yjs calls them in order of change)
      writes.push([['batches', b.key, this.sign(signer, batchSchema, b.body)], ...b.tasks.map((r): [MapName, string, unknown] => ['tasks', r.id, r])])
      yield
    }
    // checked at the write, after the steps: nothing written meanwhile may be replaced
    for (const [m, k] of writes.flat()) if (this.maps[m].has(k)) throw new LedgerError(`${m === 'tasks' ? 'task' : 'batch'} ${k} exists already`)
    for (const w of writes) this.writeOwn(w)
  }


  /** An admin command, signed by the agent that writes it (for a CLI command: the agent the CLI talks to). */
  addCommand(signer: RecordSigner, cmd: Omit<CommandRecord, 'v' | 'sig' | 'by'> & { by?: string }): void {
    const record = this.sign(signer, commandSchema, { ...cmd, by: signer.agentId })
    const key = commandKey(record.by, record.hlc)
    this.writeOwn([['commands', key, record]])
  }

  putClaim(signer: RecordSigner, claim: Unsigned<ClaimRecord>): ClaimRecord {
    const record = this.sign(signer, claimSchema, { ...claim, agent: signer.agentId })
    const key = claimKey(record.taskId, record.agent)
    this.writeOwn([['claims', key, record]])
    return record
  }

  putOutcome(signer: RecordSigner, outcome: Unsigned<OutcomeRecord>): OutcomeRecord {
    const record = this.sign(signer, outcomeSchema, { ...outcome, agent: signer.agentId })
    const key = outcomeKey(record.taskId, record.round, record.agent)
    this.writeOwn([['outcomes', key, record]])
    return record
  }

  putAgent(signer: RecordSigner, agent: Unsigned<AgentRecord>): AgentRecord {
    const record = this.sign(signer, agentRecordSchema, { ...agent, id: signer.agentId })
    this.writeOwn([['agents', record.id, record]])
    return record
  }

  /** Raw write for tests and fuzzers that need to plant records the typed writers would refuse. */
  writeRaw(map: MapName, key: string, value: unknown): void {
    this.doc.transact(() => this.maps[map].set(key, value))
  }

  // ---------------------------------------------------------------- internals

  private sign<S extends z.ZodType>(signer: RecordSigner, schema: S, body: Record<string, unknown>): z.infer<S> {
    const unsigned = { ...body, v: SCHEMA_VERSION }
    const sig = signer.sign(signingBytes(unsigned))
    return schema.parse({ ...unsigned, sig })
  }

  /**
   * Writes records this replica has just made (parsed, signed, under their own keys) in one transaction,
   * cached as checked before the ledger's listeners run, so none of them verifies its own fresh
   * signatures again (the scheduler reads every task of a 10,000-task import).
   */
  private writeOwn(entries: [MapName, string, unknown][]): void {
    for (const [m, k, r] of entries) this.own[m].set(k, r)
    try {
      this.doc.transact(() => {
        for (const [m, k, r] of entries) this.maps[m].set(k, r)
      })
    } finally {
      for (const m of MAP_NAMES) this.own[m].clear()
    }
  }

  private read(map: MapName, key: string): unknown {
    const v = this.readValid(map, key)
    if (v !== undefined && map === 'commands' && this.aheadOfClock(key, v as CommandRecord)) return undefined
    return v
  }

  /**
   * A command dated beyond our clock plus the allowed skew is left out of every read until our clock gets
   * there (checked on each read, not cached: time moves on). Reported once.
   */
  private aheadOfClock(key: string, cmd: CommandRecord): boolean {
    if (!hlcTooFarAhead(cmd.hlc, this.nowMs(), this.maxClockSkewMs)) {
      if (this.aheadReported.size > 0) this.aheadReported.delete(key)
      return false
    }
    if (!this.aheadReported.has(key)) {
      this.aheadReported.add(key)
      this.onInvalid('commands', key, `dated ${cmd.hlc.slice(0, 15)} ms, more than ${Math.round(this.maxClockSkewMs / 1000)} s ahead of this agent's clock: ignored until then`)
    }
    return true
  }

  private readValid(map: MapName, key: string): unknown {
    let v = this.cache[map].get(key)
    if (v === undefined) {
      const raw = this.maps[map].get(key)
      if (raw === undefined) return undefined
      const c = checkRecord(map, key, raw)
      if (!c.ok) v = this.settle(map, key, raw, c.reason)
      else if ('batch' in c) v = this.checkInBatch(key, raw, c)
      else v = this.settle(map, key, raw, this.verifyOne(c) ? null : `signature does not match agent ${c.agentId}`)
    }
    return v === null || v === WAITING ? undefined : v
  }

  /** A task signed through a batch: its hash must be the batch's entry at its index. No batch yet: WAITING. */
  private checkInBatch(key: string, raw: unknown, c: BatchCheck): unknown {
    const hashes = this.batchHashesOf(c.batch)
    if (hashes === undefined) {
      this.cache.tasks.set(key, WAITING)
      return WAITING
    }
    return this.settle('tasks', key, raw, isEntry(hashes, c.index, c.data) ? null : `not entry ${c.index} of its batch ${c.batch}`)
  }

  private batchHashesOf(key: string): Buffer | undefined {
    let hashes = this.batchHashes.get(key)
    if (hashes === undefined) {
      const batch = this.readValid('batches', key) as { hashes: string } | undefined
      if (batch === undefined) return undefined
      hashes = Buffer.from(batch.hashes, 'base64')
      this.batchHashes.set(key, hashes)
    }
    return hashes as Buffer
  }

  /** Caches a checked record: frozen when good (`reason` null), else null and reported. */
  private settle(map: MapName, key: string, raw: unknown, reason: string | null): unknown {
    const v = reason === null ? deepFreeze(raw) : null
    if (reason !== null) this.onInvalid(map, key, reason)
    this.cache[map].set(key, v)
    return v
  }

  private verifyOne(c: SignatureCheck): boolean {
    try {
      return this.verify(c.agentId, c.data, c.sig)
    } catch {
      return false
    }
  }

  private readAll(map: MapName): unknown[] {
    return this.readKeys(map, this.maps[map].keys())
  }

  private readKeys(map: MapName, keys: Iterable<string> | undefined): unknown[] {
    if (!keys) return []
    const out: unknown[] = []
    for (const k of keys) {
      const v = this.read(map, k)
      if (v !== undefined) out.push(v)
    }
    return out
  }

  /**
   * After a change to `key`: forget its checked record and re-index it from its key (and raw content).
   * Answers the tasks to check again because their batch changed.
   */
  private indexKey(map: MapName, key: string): string[] {
    const raw = this.maps[map].get(key)
    if (map === 'batches') {
      // A batch read already (by one of its tasks, earlier in this transaction's observers) or being
      // written by us is unchanged: its tasks' verdicts stand.
      if (raw !== undefined && (this.cache.batches.get(key) === raw || this.own.batches.get(key) === raw)) return []
      this.cache.batches.delete(key)
      this.batchHashes.delete(key)
      const tasks = [...(this.index.tasksOfBatch(key) ?? [])]
      for (const t of tasks) this.cache.tasks.delete(t)
      return tasks
    }
    this.cache[map].delete(key)
    this.index.update(map, key, raw)
    return []
  }
}

/** Freezes a plain JSON value in place, so the object the document holds cannot be changed by a reader. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value as object)) deepFreeze(v)
  }
  return value
}

export interface LedgerChange {
  map: MapName
  keys: string[]
  local: boolean
}

export class LedgerError extends Error {
  override name = 'LedgerError'
}
