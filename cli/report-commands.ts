/**
 * `mmesh report --data DIR --out OUTDIR [--task ID]... [--status S] [--agent NAME] [--since DATE]`:
 * asks the agent on DIR to write the report set (it gathers the fleet's tasks and fetches item results
 * from the agents that hold them), then prints the folder and a one-line summary.
 */
import type { Command } from 'commander'
import { resolve } from 'node:path'
import { callAgent } from '../api/client.ts'
import { resolveDataDir } from '../api/data-dir.ts'
import { parseStatusFilter } from '../protocol/report-rows.ts'
import { parseSettingDate } from '../protocol/settings.ts'
import type { ReportWriteResult } from '../agent/reports/handler.ts'
import { CliError, EXIT } from '../api/errors.ts'

interface ReportOptions {
  data?: string
  out?: string
  task: string[]
  status: string[]
  agent?: string
  since?: string
  perRound?: boolean
  timeout: string
}

function collect(value: string, prev: string[]): string[] {
  return [...prev, value]
}

/** Checks the flags here so a typo fails at once, before the agent is asked. */
export function reportParams(opts: ReportOptions, cwd = process.cwd()): Record<string, unknown> {
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
  return `wrote ${parts.join(', ')}: Aggregate Summary Report.csv, per-task CSVs, ledger.json, report.html${tail}`
}

export function registerReportCommands(program: Command): void {
  program
    .command('report')
    .description('write the reports of every task in the fleet (Migration Manager CSVs, ledger.json, report.html)')
    .option('--data <dir>', 'data dir of the running agent (default $MMESH_DATA, else ~/.mmesh)')
    .option('--out <dir>', 'folder to write the reports into')
    .option('--task <id>', 'only this task (repeat for more)', collect, [] as string[])
    .option('--status <status>', 'only tasks in this status (repeat or comma-separate)', collect, [] as string[])
    .option('--agent <name>', 'only tasks run by this agent (name or peer id)')
    .option('--since <date>', 'only tasks created at or after DATE (YYYY-MM-DD or ISO 8601)')
    .option('--per-round', 'also write ItemReport_R<n>.csv and ItemFailureReport_R<n>.csv')
    .option('--timeout <seconds>', 'give up waiting for the agent after this long', '3600')
    .action(async (opts: ReportOptions) => {
      const params = reportParams(opts)
      const timeoutS = Number(opts.timeout)
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new CliError('--timeout: give seconds, such as 3600', EXIT.badInput)
      const r = await callAgent<ReportWriteResult>(resolveDataDir(opts.data), 'report.write', params, { timeoutMs: timeoutS * 1000 })
      for (const w of r.warnings) process.stderr.write(`warning: ${w.replace(/\n/g, ' ')}\n`)
      process.stdout.write(`${r.dir}\n${summaryLine(r)}\n`)
    })
}
