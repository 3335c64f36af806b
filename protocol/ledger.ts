/**
 * The ledger: one Y.Doc with five flat maps of plain JSON records under composite string keys (nested
 * Y.Maps created lazily by two replicas lose one of them; flat keys cannot). This module is the only
 * place that knows the layout. Readers validate every record and check signatures of execution records,
 * keep an index per task that is updated incrementally from Yjs events, and report invalid records
 * through `onInvalid` instead of throwing: a peer's bad record must never reach the app.
 */
import * as Y from 'yjs'
import {
  SCHEMA_VERSION,
  agentRecordSchema,
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

export const MAP_NAMES = ['tasks', 'commands', 'claims', 'outcomes', 'agents'] as const
export type MapName = (typeof MAP_NAMES)[number]

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
}

type Unsigned<T> = Omit<T, 'sig' | 'v'>

/** Composite keys. Separators are `/`; ids never contain one (their schemas forbid it). */
export const claimKey = (taskId: string, agentId: string) => `${taskId}/${agentId}`
export const outcomeKey = (taskId: string, round: number, agentId: string) => `${taskId}/${round}/${agentId}`
export const commandKey = (agentId: string, hlc: string) => `${agentId}/${hlc}`

export class Ledger {
  readonly doc: Y.Doc
  private readonly maps: Record<MapName, Y.Map<unknown>>
  private readonly verify: SignatureVerifier
  private readonly onInvalid: InvalidRecordHandler
  // Validated records by key; `null` marks a key whose record is invalid (reported once per change).
  private readonly cache: Record<MapName, Map<string, unknown | null>>
  private readonly claimsByTask = new Map<string, Set<string>>()
  private readonly outcomesByTask = new Map<string, Set<string>>()
  private readonly commandsByTarget = new Map<string, Set<string>>()
  private readonly listeners = new Set<(changed: LedgerChange) => void>()

  constructor(doc: Y.Doc, options: LedgerOptions) {
    this.doc = doc
    this.verify = options.verify
    this.onInvalid = options.onInvalid ?? (() => {})
    this.maps = Object.fromEntries(MAP_NAMES.map((n) => [n, doc.getMap<unknown>(n)])) as Record<MapName, Y.Map<unknown>>
    this.cache = Object.fromEntries(MAP_NAMES.map((n) => [n, new Map()])) as Record<MapName, Map<string, unknown | null>>
    for (const name of MAP_NAMES) {
      for (const key of this.maps[name].keys()) this.indexKey(name, key)
      this.maps[name].observe((event) => {
        const keys = [...event.keysChanged]
        for (const key of keys) this.indexKey(name, key)
        const change: LedgerChange = { map: name, keys, local: event.transaction.local }
        for (const l of this.listeners) l(change)
      })
    }
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

  command(key: string): CommandRecord | undefined {
    return this.read('commands', key) as CommandRecord | undefined
  }

  commands(): CommandRecord[] {
    return this.readAll('commands') as CommandRecord[]
  }

  /** Commands whose target is this task, agent or setting key. */
  commandsFor(target: string): CommandRecord[] {
    return this.readKeys('commands', this.commandsByTarget.get(target)) as CommandRecord[]
  }

  claimsFor(taskId: string): ClaimRecord[] {
    return this.readKeys('claims', this.claimsByTask.get(taskId)) as ClaimRecord[]
  }

  claims(): ClaimRecord[] {
    return this.readAll('claims') as ClaimRecord[]
  }

  outcomesFor(taskId: string): OutcomeRecord[] {
    return this.readKeys('outcomes', this.outcomesByTask.get(taskId)) as OutcomeRecord[]
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

  /** A task's spec is written once, by its creator; writing an id that exists is refused. */
  addTasks(specs: Omit<TaskSpec, 'v'>[]): void {
    for (const s of specs) if (this.maps.tasks.has(s.id)) throw new LedgerError(`task ${s.id} exists already`)
    const records = specs.map((s) => taskSpecSchema.parse({ ...s, v: SCHEMA_VERSION }))
    this.doc.transact(() => {
      for (const r of records) this.maps.tasks.set(r.id, r)
    })
  }

  addCommand(cmd: Omit<CommandRecord, 'v'>): void {
    const record = commandSchema.parse({ ...cmd, v: SCHEMA_VERSION })
    this.doc.transact(() => this.maps.commands.set(commandKey(record.by, record.hlc), record))
  }

  putClaim(signer: RecordSigner, claim: Unsigned<ClaimRecord>): ClaimRecord {
    const record = this.sign(signer, claimSchema, { ...claim, agent: signer.agentId })
    this.doc.transact(() => this.maps.claims.set(claimKey(record.taskId, record.agent), record))
    return record
  }

  putOutcome(signer: RecordSigner, outcome: Unsigned<OutcomeRecord>): OutcomeRecord {
    const record = this.sign(signer, outcomeSchema, { ...outcome, agent: signer.agentId })
    this.doc.transact(() => this.maps.outcomes.set(outcomeKey(record.taskId, record.round, record.agent), record))
    return record
  }

  putAgent(signer: RecordSigner, agent: Unsigned<AgentRecord>): AgentRecord {
    const record = this.sign(signer, agentRecordSchema, { ...agent, id: signer.agentId })
    this.doc.transact(() => this.maps.agents.set(record.id, record))
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

  private read(map: MapName, key: string): unknown {
    const v = this.cache[map].get(key)
    return v === null ? undefined : v
  }

  private readAll(map: MapName): unknown[] {
    const out: unknown[] = []
    for (const v of this.cache[map].values()) if (v !== null && v !== undefined) out.push(v)
    return out
  }

  private readKeys(map: MapName, keys: Set<string> | undefined): unknown[] {
    if (!keys) return []
    const out: unknown[] = []
    for (const k of keys) {
      const v = this.cache[map].get(k)
      if (v !== null && v !== undefined) out.push(v)
    }
    return out
  }

  private indexKey(map: MapName, key: string): void {
    const raw = this.maps[map].get(key)
    const prev = this.cache[map].get(key)
    if (prev) this.unindex(map, key, prev)
    if (raw === undefined) {
      this.cache[map].delete(key)
      return
    }
    const checked = this.validate(map, key, raw)
    if (!checked.ok) {
      this.cache[map].set(key, null)
      this.onInvalid(map, key, checked.reason)
      return
    }
    this.cache[map].set(key, checked.value)
    this.addIndex(map, key, checked.value)
  }

  private validate(map: MapName, key: string, raw: unknown): { ok: true; value: unknown } | { ok: false; reason: string } {
    const schema = { tasks: taskSpecSchema, commands: commandSchema, claims: claimSchema, outcomes: outcomeSchema, agents: agentRecordSchema }[map]
    const parsed = schema.safeParse(raw)
    if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }
    const r = parsed.data as Record<string, unknown>
    // The key must say what the record says, so a record cannot be planted under another's key.
    const expected =
      map === 'tasks' ? (r.id as string)
      : map === 'commands' ? commandKey(r.by as string, r.hlc as string)
      : map === 'claims' ? claimKey(r.taskId as string, r.agent as string)
      : map === 'outcomes' ? outcomeKey(r.taskId as string, r.round as number, r.agent as string)
      : (r.id as string)
    if (expected !== key) return { ok: false, reason: `key ${key} does not match the record (${expected})` }
    if (map === 'claims' || map === 'outcomes' || map === 'agents') {
      const agentId = (map === 'agents' ? r.id : r.agent) as string
      let good = false
      try {
        good = this.verify(agentId, signingBytes(r), r.sig as string)
      } catch {
        good = false
      }
      if (!good) return { ok: false, reason: `signature does not match agent ${agentId}` }
    }
    return { ok: true, value: r }
  }

  private addIndex(map: MapName, key: string, value: unknown): void {
    const r = value as Record<string, unknown>
    if (map === 'claims' || map === 'outcomes') {
      const idx = map === 'claims' ? this.claimsByTask : this.outcomesByTask
      const taskId = r.taskId as string
      let set = idx.get(taskId)
      if (!set) idx.set(taskId, (set = new Set()))
      set.add(key)
    } else if (map === 'commands') {
      const target = r.target as string
      let set = this.commandsByTarget.get(target)
      if (!set) this.commandsByTarget.set(target, (set = new Set()))
      set.add(key)
    }
  }

  private unindex(map: MapName, key: string, value: unknown): void {
    const r = value as Record<string, unknown>
    const idx = map === 'claims' ? this.claimsByTask : map === 'outcomes' ? this.outcomesByTask : map === 'commands' ? this.commandsByTarget : null
    if (!idx) return
    const group = (map === 'commands' ? r.target : r.taskId) as string
    idx.get(group)?.delete(key)
  }
}

export interface LedgerChange {
  map: MapName
  keys: string[]
  local: boolean
}

export class LedgerError extends Error {
  override name = 'LedgerError'
}
