/**
 * `mmesh report --data DIR --out OUTDIR [--task ID]... [--status S] [--agent NAME] [--since DATE]`:
 * asks the agent on DIR to write the report set (it gathers the fleet's tasks and fetches item results
 * from the agents that hold them), then prints the folder and a one-line summary.
 */
import type { Command } from 'commander'
import { callAgent } from '../api/client.ts'
import { resolveDataDir } from '../api/data-dir.ts'
import { CliError, EXIT } from '../api/errors.ts'
import { terminalSafe } from '../protocol/terminal-text.ts'
import type { ReportOptions } from './report-params.ts'

function collect(value: string, prev: string[]): string[] {
  return [...prev, value]
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
      const { reportParams, summaryLine } = await import('./report-params.ts')
      const params = reportParams(opts)
      const timeoutS = Number(opts.timeout)
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new CliError('--timeout: give seconds, such as 3600', EXIT.badInput)
      const r = await callAgent(resolveDataDir(opts.data), 'report.write', params, { timeoutMs: timeoutS * 1000 })
      // A warning names tasks and agents from the ledger: one line each, control characters escaped.
      for (const w of r.warnings) process.stderr.write(`warning: ${terminalSafe(w.replace(/\n/g, ' '))}\n`)
      process.stdout.write(`${terminalSafe(r.dir)}\n${summaryLine(r)}\n`)
    })
}
