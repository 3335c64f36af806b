/**
 * Writes the report set of CONTRACT.md into one folder: the Aggregate Summary Report, per task the item
 * CSVs (every round, one streamed pass over the items), ledger.json and report.html. Items that cannot be
 * reached (their holders gone or unreachable) are named in `warnings`; everything else is still written.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { ItemRecord } from '../../protocol/items.ts'
import type { TaskView } from '../../protocol/views.ts'
import {
  ITEM_COLUMNS,
  ITEM_FAILURE_COLUMNS,
  SUMMARY_COLUMNS,
  itemFailureRow,
  itemRow,
  selectTasks,
  summaryRow,
  type ReportFilter,
} from '../../protocol/report-rows.ts'
import { ITEM_SUMMARY_COLUMNS, RoundTallies, SCAN_SUMMARY_COLUMNS, itemSummaryRow, scanSummaryRow } from '../../protocol/report-rounds.ts'
import { SCAN_LIST_COLUMNS, SCAN_LIST_FILE, scanListRow } from '../../protocol/report-scan.ts'
import { ThroughputTally, type ThroughputSeries } from '../../protocol/report-throughput.ts'
import { openCsv, type CsvFile } from './csv-file.ts'
import { WRITE_NO_FOLLOW, realFolder } from './no-follow.ts'
import { buildReportHtml } from './html.ts'

/** Yielded by an item source in place of records it could not fetch. */
export interface ItemsUnavailable {
  unavailable: true
  /** peer id (or name) of the agent whose copy could not be reached */
  agent: string
  round?: number | null
  reason?: string
}

export type ItemSource = (taskId: string) => AsyncIterable<ItemRecord | ItemsUnavailable>

export interface WriteReportsOptions {
  outDir: string
  tasks: TaskView[]
  agentName: (agentId: string) => string
  items: ItemSource
  ledgerJson: unknown
  filter?: ReportFilter
  /** Holders the caller already knows it cannot reach (e.g. every copy of a round is offline). */
  missing?: { taskId: string; agent: string; round?: number | null; reason?: string }[]
  /** Per-agent throughput samples from presence; when absent, derived from the items' times and sizes. */
  throughput?: ThroughputSeries
  /** Also write ItemReport_R<n>.csv / ItemFailureReport_R<n>.csv beside the all-rounds files. */
  perRound?: boolean
  now?: Date
  generatedBy?: string
}

export interface WriteReportsResult {
  dir: string
  files: string[]
  warnings: string[]
  tasks: number
  items: number
}

export const SUMMARY_FILE = 'Aggregate Summary Report.csv'
const MAX_ROUND_FILES = 64

function isUnavailable(x: unknown): x is ItemsUnavailable {
  return typeof x === 'object' && x !== null && (x as { unavailable?: unknown }).unavailable === true
}

/** Peer data is untrusted: a record that is not item-shaped is counted and skipped, not written. */
function isItem(x: unknown): x is ItemRecord {
  if (typeof x !== 'object' || x === null) return false
  const i = x as Record<string, unknown>
  return typeof i.source === 'string' && typeof i.status === 'string' && typeof i.round === 'number' && Number.isFinite(i.round)
}

/** Keys that would hold a secret if one ever slipped into the ledger; dropped from ledger.json. */
const SECRET_KEY = /(password|passwd|secret|private.?key|access.?token|refresh.?token|client.?secret|credential)/i
function scrub(v: unknown, depth = 0): unknown {
  if (depth > 64 || v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map((x) => scrub(x, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!SECRET_KEY.test(k)) out[k] = scrub(x, depth + 1)
  return out
}

/** Task ids are validated by the ledger schema; this keeps a folder name safe even if one is not. */
function folderFor(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9_-]/g, '_')
  return safe === '' ? '_' : safe
}

interface TaskPass {
  tallies: RoundTallies
  items: number
  files: string[]
}

async function writeTaskItems(
  dir: string,
  task: TaskView,
  opts: WriteReportsOptions,
  throughput: ThroughputTally | null,
  warnings: string[],
): Promise<TaskPass> {
  await realFolder(dir)
  const all = openCsv(join(dir, 'ItemReport.csv'), ITEM_COLUMNS)
  const failures = openCsv(join(dir, 'ItemFailureReport.csv'), ITEM_FAILURE_COLUMNS)
  const perRound = new Map<number, { items: CsvFile; failures: CsvFile }>()
  const tallies = new RoundTallies()
  let count = 0
  let malformed = 0
  const label = `task ${task.id} (${task.name})`
  try {
    for await (const x of opts.items(task.id)) {
      if (isUnavailable(x)) {
        const round = x.round === null || x.round === undefined ? '' : ` of round ${x.round}`
        warnings.push(
          `${label}: the item results${round} held by ${opts.agentName(x.agent)} could not be reached${x.reason ? ` (${x.reason})` : ''}; the rest was exported`,
        )
        continue
      }
      if (!isItem(x)) {
        malformed++
        continue
      }
      count++
      tallies.add(x)
      throughput?.add(x)
      await all.write(itemRow(x))
      if (x.status === 'Failed') await failures.write(itemFailureRow(x))
      if (opts.perRound) {
        let r = perRound.get(x.round)
        if (!r && perRound.size < MAX_ROUND_FILES) {
          r = {
            items: openCsv(join(dir, `ItemReport_R${x.round}.csv`), ITEM_COLUMNS),
            failures: openCsv(join(dir, `ItemFailureReport_R${x.round}.csv`), ITEM_FAILURE_COLUMNS),
          }
          perRound.set(x.round, r)
        }
        if (r) {
          await r.items.write(itemRow(x))
          if (x.status === 'Failed') await r.failures.write(itemFailureRow(x))
        }
      }
    }
  } catch (err) {
    warnings.push(`${label}: item results incomplete after ${count} items: ${err instanceof Error ? err.message : String(err)}; the rest was exported`)
  }
  if (malformed) warnings.push(`${label}: ${malformed} malformed item records were left out`)
  const files = [all.path, failures.path]
  await all.close()
  await failures.close()
  for (const r of perRound.values()) {
    await r.items.close()
    await r.failures.close()
    files.push(r.items.path, r.failures.path)
  }
  const rounds = tallies.list()
  const itemSummary = openCsv(join(dir, 'ItemSummary.csv'), ITEM_SUMMARY_COLUMNS)
  const scanSummary = openCsv(join(dir, 'ScanSummary.csv'), SCAN_SUMMARY_COLUMNS)
  for (const r of rounds) {
    await itemSummary.write(itemSummaryRow(r))
    await scanSummary.write(scanSummaryRow(r, task))
  }
  await itemSummary.close()
  await scanSummary.close()
  files.push(itemSummary.path, scanSummary.path)
  return { tallies, items: count, files }
}

export async function writeReports(opts: WriteReportsOptions): Promise<WriteReportsResult> {
  const dir = resolve(opts.outDir)
  const now = opts.now ?? new Date()
  await mkdir(dir, { recursive: true })
  const warnings: string[] = []
  const files: string[] = []
  const filter = opts.filter ?? {}
  const tasks = selectTasks(opts.tasks, filter, opts.agentName)
  for (const id of filter.taskIds ?? []) if (!opts.tasks.some((t) => t.id === id)) warnings.push(`task ${id}: no such task in the ledger`)
  for (const m of opts.missing ?? []) {
    const round = m.round === null || m.round === undefined ? '' : ` of round ${m.round}`
    warnings.push(`task ${m.taskId}: the item results${round} held by ${opts.agentName(m.agent)} could not be reached${m.reason ? ` (${m.reason})` : ''}`)
  }

  const summary = openCsv(join(dir, SUMMARY_FILE), SUMMARY_COLUMNS)
  for (const t of tasks) await summary.write(summaryRow(t, opts.agentName, now))
  await summary.close()
  files.push(summary.path)
  // Migration Manager's Scans "Download summary report": one row per task from its latest scan
  const scans = openCsv(join(dir, SCAN_LIST_FILE), SCAN_LIST_COLUMNS)
  for (const t of tasks) await scans.write(scanListRow(t))
  await scans.close()
  files.push(scans.path)

  const throughput = opts.throughput ? null : new ThroughputTally()
  const categories = new Map<string, number>()
  let items = 0
  for (const t of tasks) {
    const pass = await writeTaskItems(join(dir, folderFor(t.id)), t, opts, throughput, warnings)
    items += pass.items
    files.push(...pass.files)
    for (const [c, n] of pass.tallies.failureCategories) categories.set(c, (categories.get(c) ?? 0) + n)
  }

  const ledgerPath = join(dir, 'ledger.json')
  await writeFile(ledgerPath, `${JSON.stringify(scrub(opts.ledgerJson) ?? null, null, 2)}\n`, { flag: WRITE_NO_FOLLOW as unknown as string })
  files.push(ledgerPath)

  const htmlPath = join(dir, 'report.html')
  const html = buildReportHtml({
    generatedAt: now,
    generatedBy: opts.generatedBy ?? 'mmesh',
    tasks,
    agentName: opts.agentName,
    throughput: opts.throughput ?? throughput!.series(),
    failureCategories: [...categories].map(([category, count]) => ({ category, count })).sort((a, b) => b.count - a.count),
    warnings,
  })
  await writeFile(htmlPath, html, { flag: WRITE_NO_FOLLOW as unknown as string })
  files.push(htmlPath)
  return { dir, files, warnings, tasks: tasks.length, items }
}
