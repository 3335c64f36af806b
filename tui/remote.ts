/**
 * The fleet view attached to a running agent: FleetSource and FleetActions over the agent's control
 * endpoint. The agent sends one full snapshot, then deltas (changed tasks, agents, live progress); this
 * keeps the current snapshot and hands the UI a new object whenever something changed.
 */
import path from 'node:path'
import { callAgent, subscribeAgent, type Subscription } from '../api/client.ts'
import { readImportFile } from '../api/import-file.ts'
import type { FleetEvent } from '../api/replies.ts'
import { validateTaskInput } from '../protocol/task-input.ts'
import type { FleetSnapshot, TaskView } from '../protocol/views.ts'
import type { FieldErrors, FleetActions, FleetSource, ImportPreview, TaskInput } from './model.ts'

export interface RemoteFleet {
  source: FleetSource
  actions: FleetActions
  /** resolves when the agent goes away */
  closed: Promise<void>
  close(): void
}

function applyEvent(current: FleetSnapshot | null, e: FleetEvent): FleetSnapshot | null {
  if (e.type === 'full') return e.snapshot
  if (!current) return null
  let tasks = current.tasks
  if (e.tasks.length > 0 || e.removed.length > 0) {
    const changed = new Map<string, TaskView>(e.tasks.map((t) => [t.id, t]))
    const removed = new Set(e.removed)
    const next: TaskView[] = []
    for (const t of current.tasks) {
      if (removed.has(t.id)) continue
      const c = changed.get(t.id)
      next.push(c ?? t)
      changed.delete(t.id)
    }
    for (const t of changed.values()) next.push(t)
    tasks = next
  }
  return { ...current, at: e.at, agents: e.agents, live: e.live, settings: e.settings, tasks }
}

function toTaskInput(input: TaskInput) {
  return {
    source: input.source,
    dest: input.dest,
    library: input.library || null,
    folder: input.folder || null,
    name: input.name || null,
    group: input.group || null,
    settings: input.settings ?? {},
  }
}

export async function connectFleet(dataDir: string): Promise<RemoteFleet> {
  let snapshot: FleetSnapshot | null = null
  const listeners = new Set<() => void>()
  let firstResolve!: () => void
  const first = new Promise<void>((r) => (firstResolve = r))
  const sub: Subscription = await subscribeAgent(dataDir, 'fleet.watch', { intervalMs: 300 }, (event) => {
    const next = applyEvent(snapshot, event)
    if (!next) return
    snapshot = next
    firstResolve()
    for (const l of listeners) l()
  })
  await Promise.race([first, sub.closed])
  if (!snapshot) throw new Error(`the agent on ${dataDir} did not send the fleet view`)

  const minute = { timeoutMs: 60_000 }

  // The same checks as `mmesh task import`: size and kind before the file is read whole.
  async function readImport(file: string): Promise<{ fileName: string; content: string }> {
    const { fileName, content } = await readImportFile(file)
    return { fileName, content: content.toString('base64') }
  }

  const actions: FleetActions = {
    async addTask(input) {
      const r = await callAgent(dataDir, 'task.add', { input: toTaskInput(input) }, minute)
      return { id: r.id }
    },
    validateTask(input): FieldErrors {
      const r = validateTaskInput(toTaskInput(input))
      return r.ok ? {} : r.errors
    },
    async previewImport(file): Promise<ImportPreview> {
      const r = await callAgent(dataDir, 'task.importPreview', await readImport(file), minute)
      if (!r.ok) return r
      return { ok: true, warnings: r.warnings, tasks: r.tasks.map((t) => ({ name: t.name, source: t.source, destination: t.destination, group: t.group })) }
    },
    async commitImport(file) {
      return (await callAgent(dataDir, 'task.import', await readImport(file), { timeoutMs: 120_000 })).ids
    },
    pause: (id) => callAgent(dataDir, 'task.pause', { id }, minute),
    resume: (id) => callAgent(dataDir, 'task.resume', { id }, minute),
    rerun: async (id) => void (await callAgent(dataDir, 'task.rerun', { id }, minute)),
    cancel: (id) => callAgent(dataDir, 'task.cancel', { id }, minute),
    archive: async (id) => void (await callAgent(dataDir, 'task.archive', { ids: [id] }, minute)),
    unarchive: async (id) => void (await callAgent(dataDir, 'task.unarchive', { ids: [id] }, minute)),
    deleteTask: async (id) => void (await callAgent(dataDir, 'task.delete', { ids: [id] }, minute)),
    editTask: async (id, edit) => (await callAgent(dataDir, 'task.edit', { id, edit }, minute)).changed,
    setAgent: async (agent, f) => void (await callAgent(dataDir, 'agent.set', { agent, group: f.group, capacity: f.capacity, maxMbps: f.maxMbps }, minute)),
    forgetAgent: async (agent) => void (await callAgent(dataDir, 'agent.forget', { agent }, minute)),
    recentFailures: async (id) => (await callAgent(dataDir, 'task.show', { id }, minute)).recentFailures ?? [],
    async exportReports(outDir) {
      const r = await callAgent(dataDir, 'report.write', { outDir: path.resolve(outDir) }, { timeoutMs: 3_600_000 })
      return { dir: r.dir, files: r.files }
    },
  }

  return {
    source: {
      getSnapshot: () => snapshot!,
      subscribe(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
    },
    actions,
    closed: sub.closed,
    close: () => sub.close(),
  }
}
