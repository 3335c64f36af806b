/**
 * The agent's side of `mmesh report`: the control method `report.write`. The agent wires it with
 * `control.handle('report.write', reportHandler({...}))`; this module checks the request (it comes from
 * a local client, still input) and calls writeReports.
 */
import { isAbsolute } from 'node:path'
import { ControlError, type ControlHandler } from '../control/server.ts'
import type { ItemRecord } from '../../protocol/items.ts'
import { parseStatusFilter, type ReportFilter } from '../../protocol/report-rows.ts'
import type { ThroughputSeries } from '../../protocol/report-throughput.ts'
import { parseSettingDate } from '../../protocol/settings.ts'
import type { TaskStatus, TaskView } from '../../protocol/views.ts'
import { writeReports, type ItemsUnavailable, type WriteReportsResult } from './write-reports.ts'

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

/** What `report.write` answers (JSON): the folder, the files written, and what could not be reached. */
export type ReportWriteResult = WriteReportsResult

function stringList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ControlError(`${what} must be a list of strings`)
  return v as string[]
}

/** Turns the request's params into writeReports' filter, refusing what is not understood. */
export function parseReportParams(params: Record<string, unknown>): { outDir: string; filter: ReportFilter; perRound: boolean } {
  const outDir = params.outDir
  if (typeof outDir !== 'string' || !isAbsolute(outDir)) throw new ControlError('outDir must be an absolute path: give --out DIR')
  const taskIds = stringList(params.taskIds, 'taskIds')
  const statuses: TaskStatus[] = []
  for (const s of stringList(params.statuses, 'statuses')) {
    const st = parseStatusFilter(s)
    if (!st) throw new ControlError(`status ${JSON.stringify(s)} is not a task status: use queued, scanning, in-progress, paused, completed, failed or cancelled`)
    statuses.push(st)
  }
  const filter: ReportFilter = { taskIds, statuses }
  if (params.agent !== undefined && params.agent !== null) {
    if (typeof params.agent !== 'string' || params.agent.trim() === '') throw new ControlError('agent must be an agent name or peer id')
    filter.agent = params.agent.trim()
  }
  if (params.since !== undefined && params.since !== null) {
    const d = typeof params.since === 'string' ? parseSettingDate(params.since) : null
    if (!d || !d.ok) throw new ControlError(`since: ${d && !d.ok ? d.error : 'expected a date such as 2024-01-31'}`)
    filter.since = d.value
  }
  return { outDir, filter, perRound: params.perRound === true }
}

export function reportHandler(deps: ReportDeps): ControlHandler {
  return async (params) => {
    const { outDir, filter, perRound } = parseReportParams(params)
    try {
      const r = await writeReports({
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
      return r satisfies ReportWriteResult
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'ENOSPC' || e.code === 'EROFS' || e.code === 'ENOTDIR' || e.code === 'EEXIST') {
        throw new ControlError(`cannot write the report to ${outDir}: ${e.message}`)
      }
      throw err
    }
  }
}
