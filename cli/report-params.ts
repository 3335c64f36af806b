/**
 * The flags of `mmesh report` as the request `report.write` (checked here too, so a typo fails before the
 * agent is asked), and the one-line summary of its answer.
 */
import { resolve } from 'node:path'
import { parseStatusFilter } from '../protocol/report-rows.ts'
import { parseSettingDate } from '../protocol/settings.ts'
import type { ParamsIn } from '../api/methods.ts'
import type { ReportWriteResult } from '../api/replies.ts'
import { CliError, EXIT } from '../api/errors.ts'

export interface ReportOptions {
  data?: string
  out?: string
  task: string[]
  status: string[]
  agent?: string
  since?: string
  perRound?: boolean
  timeout: string
}

/** Checks the flags here so a typo fails at once, before the agent is asked. */
export function reportParams(opts: ReportOptions, cwd = process.cwd()): ParamsIn<'report.write'> {
  if (!opts.out || opts.out.trim() === '') throw new CliError('--out OUTDIR is required: the folder to write the reports into', EXIT.badInput)
  const statuses = opts.status.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '')
  for (const s of statuses) {
    if (!parseStatusFilter(s)) {
      throw new CliError(`--status ${s}: not a task status; use queued, scanning, in-progress, paused, completed, failed or cancelled`, EXIT.badInput)
    }
  }
  let since: string | undefined
  if (opts.since !== undefined) {
    const d = parseSettingDate(opts.since)
    if (!d.ok) throw new CliError(`--since: ${d.error}`, EXIT.badInput)
    since = d.value
  }
  return {
    // the agent runs elsewhere in the file system's eyes (its own cwd): send an absolute path
    outDir: resolve(cwd, opts.out),
    taskIds: opts.task,
    statuses,
    agent: opts.agent,
    since,
    perRound: opts.perRound === true,
  }
}

export function summaryLine(r: ReportWriteResult): string {
  const parts = [`${r.tasks} task${r.tasks === 1 ? '' : 's'}`, `${r.items} item${r.items === 1 ? '' : 's'}`, `${r.files.length} files`]
  const tail = r.warnings.length ? `; ${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'} (data not reachable, see above)` : ''
  return `wrote ${parts.join(', ')}: Aggregate Summary Report.csv, Scan Summary Report.csv, per-task CSVs, ledger.json, report.html${tail}`
}
