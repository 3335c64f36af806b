/**
 * An in-memory fleet: a FleetSource and FleetActions over one FleetSnapshot held in memory. Component
 * tests, the bench and `mmesh demo` drive the fleet view with it; the real CLI path uses the control
 * endpoint instead. Validation and import parsing are the protocol's own (the rules `task add` and
 * `task import` apply); the state changes are simple transitions, with a step() that moves work along.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { stringify } from 'csv-stringify/sync'
import { validateTaskInput, formatFieldErrors } from '../../protocol/task-input.ts'
import { parseImport } from '../../protocol/import.ts'
import { DEFAULT_SETTINGS, effectiveSettings, type SettingsOverride } from '../../protocol/settings.ts'
import { ZERO_COUNTS } from '../../protocol/records.ts'
import type { AgentView, FleetSnapshot, TaskStatus, TaskView } from '../../protocol/views.ts'
import type { AgentSetFields, ExportResult, FieldErrors, FleetActions, FleetSource, ImportPreview, TaskEditFields, TaskInput } from '../../tui/model.ts'
import { editedFields, validateTaskEdit } from '../../protocol/task-edit.ts'
import type { TaskDraft } from '../../protocol/task-input.ts'

export interface DemoFleetOptions {
  /** Number of agents (default 3), named vm-01… */
  agents?: number
  /** Number of generated tasks (default 0). */
  tasks?: number
  /** The snapshot's time (default 2024-05-01T08:00:00Z); step() moves it on. */
  at?: string
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** A peer-id-looking string, deterministic per n (ids must satisfy the ledger's base58 rule). */
export function demoPeerId(n: number): string {
  let s = ''
  let x = n * 2654435761 + 12345
  for (let i = 0; i < 20; i++) {
    s += BASE58[x % 58]
    x = Math.floor(x / 58) + (i + 1) * 7919 * (n + 1)
  }
  return `12D3KooW${s}`
}

export function demoAgents(count: number, at: string): AgentView[] {
  return Array.from({ length: count }, (_, i) => ({
    id: demoPeerId(i + 1),
    name: `vm-${String(i + 1).padStart(2, '0')}`,
    host: `vm-${String(i + 1).padStart(2, '0')}.corp.local`,
    group: i % 4 === 3 ? 'Finance' : 'Default',
    state: 'online' as const,
    capacity: 5,
    running: 0,
    lastSeen: at,
    catchingUp: null,
    enabled: true,
    firstSeen: at,
    live: { throughput: 0, history: [], version: '0.1.0', backoffUntil: null },
  }))
}

function newTask(id: string, draft: TaskDraft, at: string, by: string): TaskView {
  return {
    id,
    name: draft.name,
    archived: false,
    tags: [],
    startAt: null,
    source: draft.source,
    destination: draft.destination,
    group: draft.group,
    status: 'queued',
    agent: null,
    round: 0,
    counts: { ...ZERO_COUNTS },
    bytes: { total: 0, migrated: 0 },
    createdAt: at,
    startedAt: null,
    finishedAt: null,
    failureReason: null,
    waitingReason: null,
    epoch: 0,
    settings: effectiveSettings(DEFAULT_SETTINGS, draft.settings),
    overrides: draft.settings as SettingsOverride,
    timeline: [{ at, what: `created by ${by}` }],
    itemHolders: {},
  }
}

const GEN_STATUSES: TaskStatus[] = ['queued', 'queued', 'in-progress', 'completed', 'completed', 'failed', 'paused', 'scanning', 'cancelled']

/** `count` varied tasks (every status, progress, agents), deterministic for tests and the bench. */
export function demoTasks(count: number, agents: readonly AgentView[], at: string): TaskView[] {
  const base = Date.parse(at)
  const out: TaskView[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const status = GEN_STATUSES[(i * 7) % GEN_STATUSES.length]!
    const files = 10 + ((i * 37) % 2000)
    const total = files * (50_000 + ((i * 7919) % 900_000))
    const frac = status === 'completed' ? 1 : status === 'queued' ? 0 : ((i * 13) % 100) / 100
    const dept = `dept${String(i % 97).padStart(2, '0')}`
    const agent = status === 'queued' || agents.length === 0 ? null : agents[i % agents.length]!.id
    const migrated = Math.floor(files * frac)
    const failed = status === 'failed' ? 0 : (i % 11 === 0 ? Math.min(3, files - migrated) : 0)
    const created = new Date(base - (count - i) * 1000).toISOString()
    out[i] = {
      ...newTask(`t${String(i).padStart(6, '0')}`, {
        name: `share-${String(i).padStart(5, '0')}`,
        source: `\\\\fs${String(i % 9).padStart(2, '0')}\\${dept}\\project-${i}`,
        destination: { url: `https://contoso.sharepoint.com/sites/${dept}`, library: 'Documents', folder: `project-${i}` },
        group: 'Default',
        settings: {},
      }, created, 'vm-01'),
      status,
      agent,
      counts: { scanned: status === 'queued' ? 0 : files, toMigrate: status === 'queued' ? 0 : files, migrated, unchanged: 0, skipped: 0, failed },
      bytes: { total: status === 'queued' ? 0 : total, migrated: Math.floor(total * frac) },
      startedAt: status === 'queued' ? null : created,
      finishedAt: status === 'completed' || status === 'failed' || status === 'cancelled' ? at : null,
      failureReason: status === 'failed' ? 'the destination refused the credentials (401) for 30 minutes' : null,
    }
  }
  return out
}

/**
 * The in-memory fleet. Its methods are bound, so `fleet` can be passed as both source and actions.
 * `calls` records the actions asked for (tests read it alongside what the screen shows).
 */
export class DemoFleet implements FleetSource, FleetActions {
  private snap: FleetSnapshot
  private readonly listeners = new Set<() => void>()
  private nextId = 1
  readonly calls: { action: string; arg: unknown }[] = []

  constructor(opts: DemoFleetOptions = {}) {
    const at = opts.at ?? '2024-05-01T08:00:00.000Z'
    const agents = demoAgents(opts.agents ?? 3, at)
    this.snap = {
      self: agents[0]?.id ?? demoPeerId(0),
      at,
      agents,
      tasks: demoTasks(opts.tasks ?? 0, agents, at),
      live: {},
      settings: { ...DEFAULT_SETTINGS },
    }
  }

  getSnapshot = (): FleetSnapshot => this.snap

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Replaces the snapshot (a new object, as a real source would) and tells the listeners. */
  update = (change: (s: FleetSnapshot) => Partial<FleetSnapshot>): void => {
    this.snap = { ...this.snap, ...change(this.snap) }
    for (const l of [...this.listeners]) l()
  }

  /** Changes one task (a new tasks array, so memoised views see the change). */
  patchTask = (id: string, patch: Partial<TaskView> | ((t: TaskView) => Partial<TaskView>)): void => {
    this.update((s) => ({
      tasks: s.tasks.map((t) => (t.id === id ? { ...t, ...(typeof patch === 'function' ? patch(t) : patch) } : t)),
    }))
  }

  private selfName(): string {
    return this.snap.agents.find((a) => a.id === this.snap.self)?.name ?? this.snap.self
  }

  private task(id: string): TaskView {
    const t = this.snap.tasks.find((x) => x.id === id)
    if (!t) throw new Error(`no task ${id}: list them with mmesh task list`)
    return t
  }

  private addDrafts(drafts: TaskDraft[]): string[] {
    const ids = drafts.map(() => `n${String(this.nextId++).padStart(5, '0')}`)
    const fresh = drafts.map((d, i) => newTask(ids[i]!, d, this.snap.at, this.selfName()))
    this.update((s) => ({ tasks: [...s.tasks, ...fresh] }))
    return ids
  }

  validateTask = (input: TaskInput): FieldErrors => {
    const r = validateTaskInput(input)
    return r.ok ? {} : r.errors
  }

  addTask = async (input: TaskInput): Promise<{ id: string }> => {
    this.calls.push({ action: 'addTask', arg: input })
    const r = validateTaskInput(input)
    if (!r.ok) throw new Error(formatFieldErrors(r.errors))
    return { id: this.addDrafts([r.spec])[0]! }
  }

  private async parse(file: string): Promise<ReturnType<typeof parseImport>> {
    const bytes = await readFile(file)
    return parseImport(file, new Uint8Array(bytes))
  }

  previewImport = async (file: string): Promise<ImportPreview> => {
    this.calls.push({ action: 'previewImport', arg: file })
    const r = await this.parse(file)
    if (!r.ok) return r
    return { ok: true, warnings: r.warnings, tasks: r.tasks.map((t) => ({ name: t.name, source: t.source, destination: t.destination, group: t.group })) }
  }

  commitImport = async (file: string): Promise<string[]> => {
    this.calls.push({ action: 'commitImport', arg: file })
    const r = await this.parse(file)
    if (!r.ok) throw new Error(`${r.errors.length} bad record(s), nothing added: ${r.errors[0]}`)
    return this.addDrafts(r.tasks)
  }

  private transition(id: string, action: string, allowed: TaskStatus[], to: (t: TaskView) => Partial<TaskView>): void {
    this.calls.push({ action, arg: id })
    const t = this.task(id)
    if (!allowed.includes(t.status)) throw new Error(`task ${t.name} is ${t.status}; ${action} applies to ${allowed.join(', ')} tasks`)
    this.patchTask(id, (x) => ({ ...to(x), timeline: [...x.timeline, { at: this.snap.at, what: `${action} by ${this.selfName()}` }] }))
  }

  pause = async (id: string): Promise<void> => this.transition(id, 'pause', ['queued', 'scanning', 'in-progress'], () => ({ status: 'paused' }))
  resume = async (id: string): Promise<void> => this.transition(id, 'resume', ['paused'], (t) => ({ status: t.startedAt ? 'in-progress' : 'queued' }))
  cancel = async (id: string): Promise<void> =>
    this.transition(id, 'cancel', ['queued', 'scanning', 'in-progress', 'paused', 'failed'], () => ({ status: 'cancelled', finishedAt: this.snap.at }))
  rerun = async (id: string): Promise<void> =>
    this.transition(id, 'rerun', ['completed', 'failed', 'cancelled'], (t) => ({
      status: 'queued',
      round: t.round + 1,
      agent: null,
      counts: { ...ZERO_COUNTS },
      bytes: { total: 0, migrated: 0 },
      startedAt: null,
      finishedAt: null,
      failureReason: null,
    }))

  private static readonly IDLE: TaskStatus[] = ['scheduled', 'queued', 'paused', 'completed', 'failed', 'cancelled']
  archive = async (id: string): Promise<void> => this.transition(id, 'archive', DemoFleet.IDLE, () => ({ archived: true }))
  unarchive = async (id: string): Promise<void> => this.transition(id, 'unarchive', [...DemoFleet.IDLE, 'scanning', 'in-progress'], () => ({ archived: false }))
  deleteTask = async (id: string): Promise<void> => {
    this.transition(id, 'delete', DemoFleet.IDLE, () => ({}))
    this.update((s) => ({ tasks: s.tasks.filter((t) => t.id !== id) }))
  }

  /** `task edit` by the protocol's own rules; refused while the task runs, as the agent refuses it. */
  editTask = async (id: string, fields: TaskEditFields): Promise<string[]> => {
    this.calls.push({ action: 'editTask', arg: { id, ...fields } })
    const t = this.task(id)
    if (t.status === 'scanning' || t.status === 'in-progress') throw new Error(`task ${t.name} is ${t.status}: pause or cancel it first`)
    const r = validateTaskEdit(fields)
    if (!r.ok) throw new Error(r.error)
    const e = r.edit
    const changed = editedFields(e)
    this.patchTask(id, (x) => {
      const startAt = e.startAt === undefined ? x.startAt : e.startAt
      const waiting = x.status === 'queued' || x.status === 'scheduled'
      return {
        ...(e.name !== undefined ? { name: e.name } : {}),
        ...(e.group !== undefined ? { group: e.group } : {}),
        ...(e.tags !== undefined ? { tags: e.tags } : {}),
        startAt,
        status: waiting ? (startAt ? 'scheduled' : 'queued') : x.status,
        timeline: [...x.timeline, { at: this.snap.at, what: `edited: ${changed.join(', ')}` }],
      }
    })
    return changed
  }

  /** `agent set`: '' clears an override (back to the demo agent's own value, here 5 slots, Default). */
  setAgent = async (agentId: string, f: AgentSetFields): Promise<void> => {
    this.calls.push({ action: 'setAgent', arg: { agent: agentId, ...f } })
    if (f.capacity !== '' && (!/^\d+$/.test(f.capacity) || Number(f.capacity) > 1000)) throw new Error(`--capacity '${f.capacity}' is not a whole number from 0 to 1000, or '' to clear`)
    if (f.maxMbps !== '' && !/^\d+(\.\d+)?$/.test(f.maxMbps)) throw new Error(`--max-mbps '${f.maxMbps}' is not a number of Mbit/s, or '' to clear`)
    const override = { ...(f.group ? { group: f.group } : {}), ...(f.capacity ? { capacity: Number(f.capacity) } : {}), ...(f.maxMbps ? { maxMbps: Number(f.maxMbps) } : {}) }
    this.update((s) => ({
      agents: s.agents.map((a) => (a.id === agentId ? { ...a, group: override.group ?? 'Default', capacity: override.capacity ?? 5, maxMbps: override.maxMbps ?? null, override } : a)),
    }))
  }

  /** `agent forget`: an online agent is refused with the agent's own wording. */
  forgetAgent = async (agentId: string): Promise<void> => {
    this.calls.push({ action: 'forgetAgent', arg: agentId })
    const a = this.snap.agents.find((x) => x.id === agentId)
    if (!a) throw new Error(`no agent ${agentId}: list them with mmesh agents`)
    if (a.state === 'online') throw new Error(`agent ${a.name} (${a.id}) is online: only an agent gone for good can be forgotten; stop it first (mmesh stop on its machine), or use mmesh agent disable`)
    this.update((s) => ({ agents: s.agents.filter((x) => x.id !== agentId) }))
  }

  /** Writes ledger.json and the Aggregate Summary Report.csv of what this in-memory fleet holds. */
  exportReports = async (outDir: string): Promise<ExportResult> => {
    this.calls.push({ action: 'exportReports', arg: outDir })
    const dir = path.resolve(outDir)
    await mkdir(dir, { recursive: true })
    const names = new Map(this.snap.agents.map((a) => [a.id, a.name]))
    const rows = this.snap.tasks.map((t) => [
      t.name,
      t.status,
      t.source,
      t.destination.url,
      t.counts.scanned,
      t.counts.toMigrate,
      t.counts.migrated + t.counts.unchanged,
      t.counts.failed,
      t.bytes.total,
      (t.bytes.total / 2 ** 30).toFixed(3),
      t.bytes.migrated,
      (t.bytes.migrated / 2 ** 30).toFixed(3),
      t.agent ? (names.get(t.agent) ?? t.agent) : '',
      '',
      t.id,
      t.failureReason ?? '',
      t.group,
      t.tags.join(';'),
    ])
    const header = ['Task name', 'Status', 'Source', 'Destination', 'Total scanned items', 'Total to be migrated items', 'Migrated items', 'Items not migrated', 'Total bytes', 'Total GB', 'Migrated bytes', 'Migrated GB', 'Agent', 'Duration', 'TaskID', 'Task failure reason', 'Agent group', 'Tags']
    const files = ['Aggregate Summary Report.csv', 'ledger.json']
    await writeFile(path.join(dir, files[0]!), `\uFEFF${stringify([header, ...rows])}`)
    await writeFile(path.join(dir, files[1]!), JSON.stringify({ tasks: this.snap.tasks, agents: this.snap.agents, settings: this.snap.settings }, null, 2))
    return { dir, files: files.map((f) => path.join(dir, f)) }
  }

  /**
   * Moves the fleet on by `seconds`: free agents claim queued tasks, running tasks copy at a steady rate
   * and complete, agents' throughput history grows. For `mmesh demo` and the bench's data updates.
   */
  step = (seconds = 1, rate = 20 * 1024 * 1024): void => {
    const at = new Date(Date.parse(this.snap.at) + seconds * 1000).toISOString()
    const load = new Map<string, number>()
    const online = this.snap.agents.filter((a) => a.state === 'online' && a.enabled)
    for (const t of this.snap.tasks) if (t.agent && (t.status === 'in-progress' || t.status === 'scanning')) load.set(t.agent, (load.get(t.agent) ?? 0) + 1)
    const moved = new Map<string, number>()
    const tasks = this.snap.tasks.map((t) => {
      if (t.status === 'queued') {
        const a = online.find((x) => (load.get(x.id) ?? 0) < x.capacity)
        if (!a) return t
        load.set(a.id, (load.get(a.id) ?? 0) + 1)
        const files = 20 + (t.name.length * 7) % 80
        return { ...t, status: 'in-progress' as const, agent: a.id, startedAt: at, counts: { ...t.counts, scanned: files, toMigrate: files }, bytes: { total: files * 3 * 1024 * 1024, migrated: 0 }, timeline: [...t.timeline, { at, what: `claimed by ${a.name}` }] }
      }
      if (t.status !== 'in-progress' || !t.agent) return t
      const add = Math.min(t.bytes.total - t.bytes.migrated, rate * seconds)
      moved.set(t.agent, (moved.get(t.agent) ?? 0) + add / seconds)
      const migratedBytes = t.bytes.migrated + add
      const frac = t.bytes.total > 0 ? migratedBytes / t.bytes.total : 1
      const done = migratedBytes >= t.bytes.total
      return {
        ...t,
        bytes: { ...t.bytes, migrated: migratedBytes },
        counts: { ...t.counts, migrated: Math.floor(t.counts.toMigrate * frac) },
        ...(done ? { status: 'completed' as const, finishedAt: at, timeline: [...t.timeline, { at, what: 'finished: completed' }] } : {}),
      }
    })
    const running = new Map<string, number>()
    for (const t of tasks) if (t.agent && t.status === 'in-progress') running.set(t.agent, (running.get(t.agent) ?? 0) + 1)
    const agents = this.snap.agents.map((a) => {
      if (a.state !== 'online') return a
      const throughput = moved.get(a.id) ?? 0
      return { ...a, lastSeen: at, running: running.get(a.id) ?? 0, live: { ...(a.live ?? { version: '0.1.0', backoffUntil: null }), throughput, history: [...(a.live?.history ?? []), throughput].slice(-60) } }
    })
    const live: FleetSnapshot['live'] = {}
    for (const t of tasks) if (t.status === 'in-progress' && t.agent) live[t.id] = { taskId: t.id, agent: t.agent, throughput: rate, bytesDone: t.bytes.migrated, filesDone: t.counts.migrated }
    this.update(() => ({ at, tasks, agents, live }))
  }
}
