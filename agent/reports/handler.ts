/**
 * The agent's side of `mmesh report`: the control method `report.write`. The agent wires it with
 * `control.handle('report.write', reportHandler({...}))`; the request arrives checked by the control
 * API's schema (an absolute folder, known statuses, a real date) and this writes the reports.
 */
import { ControlError, type MethodHandler } from '../control/server.ts'
import type { ItemRecord } from '../../protocol/items.ts'
import type { ThroughputSeries } from '../../protocol/report-throughput.ts'
import type { TaskView } from '../../protocol/views.ts'
import type { ReportWriteResult } from '../../api/replies.ts'
import { writeReports, type ItemsUnavailable } from './write-reports.ts'

export interface ReportDeps {
  tasks(): TaskView[] | Promise<TaskView[]>
  agentName(agentId: string): string
  /** Every item of every round of the task, local or fetched from the agents that hold it. */
  items(taskId: string): AsyncIterable<ItemRecord | ItemsUnavailable>
  ledgerJson(): unknown
  /** Per-agent throughput samples, when presence keeps them; otherwise derived from the items. */
  throughput?(): ThroughputSeries | undefined
  /** This agent's name, shown in report.html. */
  selfName?: string
}

export type { ReportWriteResult }

/** Write errors an admin can fix (a full disk, a folder not theirs): one line, exit 1. */
const FIXABLE = new Set(['EACCES', 'EPERM', 'ENOSPC', 'EROFS', 'ENOTDIR', 'EEXIST'])

export function reportHandler(deps: ReportDeps): MethodHandler<'report.write'> {
  return async ({ outDir, filter, perRound }) => {
    try {
      return await writeReports({
        outDir,
        tasks: await deps.tasks(),
        agentName: (id) => deps.agentName(id),
        items: (id) => deps.items(id),
        ledgerJson: deps.ledgerJson(),
        filter,
        perRound,
        throughput: deps.throughput?.(),
        generatedBy: deps.selfName ?? 'mmesh',
      })
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      if (e.code && FIXABLE.has(e.code)) throw new ControlError(`cannot write the report to ${outDir}: ${e.message}`)
      throw err
    }
  }
}
