/**
 * Wires `report.write` on the agent: task views from the ledger, item results from the local store or,
 * for rounds run elsewhere, pulled from the agents that hold a copy (writer first, then its replicas).
 */
import type { Ledger } from '../../protocol/ledger.ts'
import type { ItemRecord } from '../../protocol/items.ts'
import type { TaskView } from '../../protocol/views.ts'
import type { ControlServer } from '../control/server.ts'
import type { ItemStore } from '../items/store.ts'
import type { ItemsSync } from '../items-sync/items-sync.ts'
import type { Presence } from '../presence/presence.ts'
import type { TaskService } from '../tasks/task-service.ts'
import { reportHandler } from './handler.ts'
import type { ItemsUnavailable } from './write-reports.ts'

/** What the reports read: tasks, items (local or a holder's), names of agents, the ledger's content. */
export interface ReportControlDeps {
  /** this agent's peer id and name */
  self: string
  selfName: string
  ledger: Pick<Ledger, 'agent' | 'toJSON'>
  presence: Pick<Presence, 'peers' | 'isOnline'>
  tasks: Pick<TaskService, 'views' | 'show' | 'timeLeft'>
  items: Pick<ItemStore, 'rounds' | 'iterate'>
  itemsSync: Pick<ItemsSync, 'pull'>
}

export function registerReportControl(control: ControlServer, w: ReportControlDeps): void {
  const { ledger, presence } = w
  const agentName = (id: string) => ledger.agent(id)?.name ?? presence.peers().get(id)?.message.name ?? (id === w.self ? w.selfName : id)
  let current = new Map<string, TaskView>()

  async function* items(taskId: string): AsyncIterable<ItemRecord | ItemsUnavailable> {
    const view = current.get(taskId) ?? w.tasks.show(taskId)
    const local = new Set(await w.items.rounds(taskId))
    for (let round = 0; round <= view.round; round++) {
      if (local.has(round)) {
        yield* w.items.iterate(taskId, round)
        continue
      }
      const holders = (view.itemHolders[round] ?? []).filter((h) => h !== w.self)
      if (holders.length === 0) continue
      let done = false
      for (const h of holders) {
        if (!presence.isOnline(h)) continue
        let yielded = 0
        try {
          for await (const rec of w.itemsSync.pull(h, taskId, round)) {
            yielded++
            yield rec
          }
          done = true
          break
        } catch (err) {
          if (yielded > 0) {
            yield { unavailable: true, agent: agentName(h), round, reason: `connection lost after ${yielded} items: ${(err as Error).message}` }
            done = true
            break
          }
        }
      }
      if (!done) yield { unavailable: true, agent: holders.map(agentName).join(', '), round, reason: 'no agent holding these item results is reachable' }
    }
  }

  control.handle(
    'report.write',
    reportHandler({
      tasks: () => {
        const views = w.tasks.views()
        for (const v of views) v.estimatedSecondsLeft = w.tasks.timeLeft(v)
        current = new Map(views.map((v) => [v.id, v]))
        return views
      },
      agentName,
      items,
      ledgerJson: () => ({ exportedAt: new Date().toISOString(), exportedBy: w.self, ...ledger.toJSON() }),
      selfName: w.selfName,
    }),
  )
}
