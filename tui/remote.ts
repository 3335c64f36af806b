/**
 * The fleet view attached to a running agent: FleetSource and FleetActions over the agent's control
 * endpoint. The agent sends one full snapshot, then deltas (changed tasks, agents, live progress); this
 * keeps the current snapshot and hands the UI a new object whenever something changed.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { callAgent, subscribeAgent, type Subscription } from '../api/client.ts'
import { validateTaskInput } from '../protocol/task-input.ts'
import type { FleetSnapshot, TaskView } from '../protocol/views.ts'
import type { FleetEvent } from '../agent/view/fleet-feed.ts'
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
    const next = applyEvent(snapshot, event as FleetEvent)
    if (!next) return
    snapshot = next
    firstResolve()
    for (const l of listeners) l()
  })
  await Promise.race([first, sub.closed])
  if (!snapshot) throw new Error(`the agent on ${dataDir} did not send the fleet view`)

  const call = <T>(method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000) => callAgent<T>(dataDir, method, params, { timeoutMs })

  async function readImport(file: string): Promise<{ fileName: string; content: string }> {
    try {
      return { fileName: path.basename(file), content: (await readFile(file)).toString('base64') }
    } catch (err) {
      throw new Error(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): check the path`)
    }
  }

  const actions: FleetActions = {
    async addTask(input) {
      const r = await call<{ id: string }>('task.add', { input: toTaskInput(input) })
      return { id: r.id }
    },
    validateTask(input): FieldErrors {
      const r = validateTaskInput(toTaskInput(input))
      return r.ok ? {} : r.errors
    },
    async previewImport(file): Promise<ImportPreview> {
      const r = await call<ImportPreview>('task.importPreview', await readImport(file))
      if (!r.ok) return r
      return { ok: true, warnings: r.warnings, tasks: r.tasks.map((t) => ({ name: t.name, source: t.source, destination: t.destination, group: t.group })) }
    },
    async commitImport(file) {
      return (await call<{ ids: string[] }>('task.import', await readImport(file), 120_000)).ids
    },
    pause: async (id) => void (await call('task.pause', { id })),
    resume: async (id) => void (await call('task.resume', { id })),
    rerun: async (id) => void (await call('task.rerun', { id })),
    cancel: async (id) => void (await call('task.cancel', { id })),
    async exportReports(outDir) {
      const r = await call<{ dir: string; files: string[] }>('report.write', { outDir: path.resolve(outDir) }, 3_600_000)
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
