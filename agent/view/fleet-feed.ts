/**
 * The fleet view's data: a FleetSnapshot (every agent, every task, live progress) built from the ledger
 * and presence, and a feed that sends it once in full and then only what changed, a few times a
 * second at most, so a 50,000-task fleet does not resend every task on every heartbeat.
 */
import { tasksTouched, type Ledger } from '../../protocol/ledger.ts'
import { buildAgentList, agentEnabled } from '../../protocol/agents-view.ts'
import type { AgentView, FleetSnapshot, TaskLive, TaskView } from '../../protocol/views.ts'
import type { Presence } from '../presence/presence.ts'
import type { FleetEvent } from '../../api/replies.ts'
import type { TaskService } from '../tasks/task-service.ts'
import type { GroupSettings } from '../../protocol/fleet-config.ts'
import type { Steps } from '../../protocol/steps.ts'
import { runSteps } from '../tasks/run-steps.ts'

const HISTORY = 60

export interface FleetFeedDeps {
  self: string
  ledger: Ledger
  presence: Presence
  tasks: TaskService
  /** Throughput samples of this agent (bytes/s), as the scheduler publishes them. */
  selfFields(): Record<string, unknown>
  /** records an agent is behind, null when caught up */
  catchingUp?: (agentId: string) => number | null
  /** the fleet's group settings: each agent's window and when it may work next */
  groups?: () => ReadonlyMap<string, GroupSettings>
}

export type { FleetEvent }

interface LiveTask {
  taskId: string
  throughput: number
  bytesDone: number
  filesDone: number
  phase?: unknown
  bytesTotal?: unknown
  filesTotal?: unknown
  walked?: unknown
}

export function createFleetFeed(deps: FleetFeedDeps) {
  const { ledger, presence } = deps
  const history = new Map<string, number[]>()
  const listeners = new Set<(changedTasks: Set<string>) => void>()

  function fieldsOf(id: string): Record<string, unknown> {
    if (id === deps.self) return deps.selfFields()
    return (presence.peers().get(id)?.message.fields as Record<string, unknown> | undefined) ?? {}
  }

  function sample(): void {
    const ids = new Set([deps.self, ...presence.peers().keys()])
    for (const id of ids) {
      const f = fieldsOf(id)
      const t = typeof f.throughput === 'number' ? f.throughput : id === deps.self ? 0 : (presence.peers().get(id)?.message.throughput ?? 0)
      const h = history.get(id) ?? []
      h.push(presence.isOnline(id) ? t : 0)
      if (h.length > HISTORY) h.shift()
      history.set(id, h)
    }
  }
  const sampler = setInterval(sample, 2_000)
  sampler.unref()

  function agents(): AgentView[] {
    const snaps = presence.snapshots()
    const list = buildAgentList({ selfId: deps.self, records: ledger.agents(), commands: (id) => ledger.commandsFor(id), presence: snaps, ...(deps.groups ? { groups: deps.groups() } : {}), nowIso: new Date().toISOString(), ...(deps.catchingUp ? { catchingUp: deps.catchingUp } : {}) })
    return list.map((a) => {
      const f = fieldsOf(a.id)
      const h = history.get(a.id) ?? []
      const rec = ledger.agent(a.id)
      const msg = presence.peers().get(a.id)?.message
      return {
        ...a,
        enabled: agentEnabled(ledger.commandsFor(a.id), a.id),
        firstSeen: rec?.firstSeen ?? null,
        live:
          a.state === 'online'
            ? {
                throughput: typeof f.throughput === 'number' ? f.throughput : (msg?.throughput ?? 0),
                history: [...h],
                version: msg?.version ?? rec?.version ?? '',
                backoffUntil: typeof f.backoffUntil === 'string' ? f.backoffUntil : null,
              }
            : null,
      }
    })
  }

  function live(): Record<string, TaskLive> {
    const out: Record<string, TaskLive> = {}
    for (const id of [deps.self, ...presence.peers().keys()]) {
      if (!presence.isOnline(id)) continue
      const tasks = fieldsOf(id).tasks
      if (!Array.isArray(tasks)) continue
      for (const t of tasks as LiveTask[]) {
        if (!t || typeof t.taskId !== 'string') continue
        out[t.taskId] = {
          taskId: t.taskId,
          agent: id,
          throughput: Number(t.throughput) || 0,
          bytesDone: Number(t.bytesDone) || 0,
          filesDone: Number(t.filesDone) || 0,
          ...(typeof t.phase === 'string' ? { phase: t.phase.slice(0, 20) } : {}),
          ...(Number(t.bytesTotal) >= 0 ? { bytesTotal: Number(t.bytesTotal) } : {}),
          ...(Number(t.filesTotal) >= 0 ? { filesTotal: Number(t.filesTotal) } : {}),
          ...(typeof t.walked === 'boolean' ? { walked: t.walked } : {}),
        }
      }
    }
    return out
  }

  function snapshot(): FleetSnapshot {
    return { self: deps.self, at: new Date().toISOString(), agents: agents(), tasks: deps.tasks.views(), live: live(), settings: deps.tasks.globals() }
  }

  const offLedger = ledger.onChange((ch) => {
    const ids = tasksTouched(ch, (key) => ledger.command(key))
    for (const l of listeners) l(ids)
  })

  return {
    snapshot,
    agents,
    /** Live progress of the running tasks, from the holders' heartbeats (`task show`'s time left). */
    live,
    /** Streams FleetEvents to `emit` until `signal` aborts. */
    watch(emit: (e: FleetEvent) => void, signal: AbortSignal, intervalMs = 500): void {
      const changed = new Set<string>()
      const onChange = (ids: Set<string>) => {
        for (const id of ids) changed.add(id)
      }
      listeners.add(onChange)
      emit({ type: 'full', snapshot: snapshot() })
      // A delta of many tasks (a pull of the whole ledger) is read and sent a slice at a time (run-steps.ts),
      // so the agent answers other requests in between.
      let tasks: TaskView[] = []
      let removed: string[] = []
      const sendDelta = () => {
        emit({ type: 'delta', at: new Date().toISOString(), agents: agents(), live: live(), settings: deps.tasks.globals(), tasks, removed })
        tasks = []
        removed = []
      }
      function* readChanged(): Steps<void> {
        for (const id of changed) {
          if (signal.aborted) return
          changed.delete(id)
          const spec = ledger.task(id)
          if (spec) tasks.push(deps.tasks.view(spec))
          else removed.push(id)
          yield
        }
      }
      let sending = false
      const timer = setInterval(() => {
        if (sending) return
        sending = true
        void runSteps(readChanged(), sendDelta)
          .then(() => {
            if (!signal.aborted) sendDelta()
          })
          .finally(() => (sending = false))
      }, intervalMs)
      signal.addEventListener(
        'abort',
        () => {
          clearInterval(timer)
          listeners.delete(onChange)
        },
        { once: true },
      )
    },
    stop(): void {
      clearInterval(sampler)
      offLedger()
    },
  }
}

export type FleetFeed = ReturnType<typeof createFleetFeed>
