/**
 * Report export at scale: one task of N items (default 1,000,000) streamed from an async generator into
 * the report set, in this process; prints the time and the peak resident memory (VmHWM) at the end.
 *
 *   node bin/run-ts.js bench/reports.ts [--items N] [--keep DIR] [--json]
 *
 * test/reports/export-memory.test.ts runs it in a child process and checks the peak against 300 MB.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeReports } from '../agent/reports/write-reports.ts'
import type { ItemRecord } from '../protocol/items.ts'
import { DEFAULT_SETTINGS } from '../protocol/settings.ts'
import type { TaskView } from '../protocol/views.ts'

function arg(name: string): string | undefined {
  const k = process.argv.indexOf(name)
  return k >= 0 ? process.argv[k + 1] : undefined
}

async function peakRssMb(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8')
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(status)
  return m ? Number(m[1]) / 1024 : NaN
}

const N = Number(arg('--items') ?? 1_000_000)
const keep = arg('--keep')
const asJson = process.argv.includes('--json')
const T0 = Date.parse('2026-01-10T09:00:00Z')

async function* items(): AsyncIterable<ItemRecord> {
  for (let k = 0; k < N; k++) {
    const failed = k % 997 === 0
    const skipped = k % 101 === 0
    const dir = `dept${k % 50}\\sub ${k % 1000}`
    yield {
      taskId: 'bench-task',
      round: k < N / 2 ? 0 : 1,
      source: `\\\\fs01\\share\\${dir}\\report, "final" ${k}.docx`,
      destination: `https://contoso.sharepoint.com/sites/bench/Documents/${dir.replace(/\\/g, '/')}/report, "final" ${k}.docx`,
      name: `report, "final" ${k}.docx`,
      extension: 'docx',
      size: 1000 + (k % 100_000),
      isFolder: false,
      status: failed ? 'Failed' : skipped ? 'Skipped' : k % 3 === 0 ? 'Unchanged' : 'Migrated',
      resultCategory: failed ? 'Source read error' : skipped ? 'Filtered out' : 'Success',
      message: failed ? 'Access is denied.' : '',
      errorCode: failed ? '0x01110003' : '',
      device: `vm-${k % 4}`,
      at: new Date(T0 + k * 5).toISOString(),
      readiness: failed ? 'error' : 'ready',
    }
  }
}

const task: TaskView = {
  id: 'bench-task',
  archived: false,
  tags: [],
  startAt: null,
  name: 'Bench',
  source: '\\\\fs01\\share',
  destination: { url: 'https://contoso.sharepoint.com/sites/bench', library: 'Documents', folder: null },
  group: 'Default',
  status: 'completed',
  agent: '12D3KooWBench1111111111111111111111111111111',
  round: 1,
  counts: { scanned: N / 2, toMigrate: N / 2, migrated: 0, unchanged: 0, skipped: 0, failed: 0 },
  bytes: { total: 0, migrated: 0 },
  createdAt: '2026-01-10T08:00:00.000Z',
  startedAt: '2026-01-10T09:00:00.000Z',
  finishedAt: '2026-01-10T12:00:00.000Z',
  failureReason: null,
  waitingReason: null,
  epoch: 1,
  settings: DEFAULT_SETTINGS,
  overrides: {},
  timeline: [],
  itemHolders: {},
}

const out = keep ?? (await mkdtemp(join(tmpdir(), 'mmesh-bench-reports-')))
const t0 = performance.now()
const r = await writeReports({ outDir: out, tasks: [task], agentName: () => 'vm-bench', items: () => items(), ledgerJson: {} })
const seconds = (performance.now() - t0) / 1000
const itemReportBytes = (await stat(join(out, 'bench-task', 'ItemReport.csv'))).size
const peak = await peakRssMb()
if (!keep) await rm(out, { recursive: true, force: true })
const result = { items: r.items, seconds: Number(seconds.toFixed(2)), itemsPerSec: Math.round(r.items / seconds), itemReportMB: Number((itemReportBytes / 2 ** 20).toFixed(1)), peakRssMB: Number(peak.toFixed(1)) }
if (asJson) process.stdout.write(`${JSON.stringify(result)}\n`)
else {
  console.log(`report export: ${result.items} items in ${result.seconds} s (${result.itemsPerSec}/s)`)
  console.log(`ItemReport.csv: ${result.itemReportMB} MB; peak RSS (VmHWM): ${result.peakRssMB} MB (target < 300 MB)`)
}
