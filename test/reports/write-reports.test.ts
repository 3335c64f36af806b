import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { writeReports, type ItemsUnavailable } from '../../agent/reports/write-reports.ts'
import type { ItemRecord } from '../../protocol/items.ts'
import { summaryRow } from '../../protocol/report-rows.ts'
import { AGENT_IDS, agentName, fromArray, makeItems, taskFrom } from './fixtures.ts'

const [A, B, C] = AGENT_IDS as [string, string, string]
const T0 = Date.parse('2026-01-10T09:00:00Z')

// task 1: two rounds, every status, hostile names
const items1 = makeItems('task-one', '\\\\fs01\\hr', 'vm-alpha', [
  { round: 0, status: 'Migrated', count: 5, size: 1000 },
  { round: 0, status: 'Failed', count: 2, size: 10 },
  { round: 1, status: 'Migrated', count: 2, size: 2048, names: ['a, b "quoted".docx', 'line\nbreak.txt'] },
  { round: 1, status: 'Unchanged', count: 4, size: 1000, names: ['=cmd|\' /C calc\'!A0', '+1', '-2', '@SUM(A1)'] },
  { round: 1, status: 'Skipped', count: 3, size: 7, readiness: 'warning', category: 'Filtered out' },
  { round: 1, status: 'Failed', count: 1, size: 5, names: ['Zürich 日本語 🚀.pdf'], category: 'Invalid name', errorCode: '0x01110010' },
  { round: 1, status: 'Migrated', count: 1, size: 0, isFolder: true, names: ['Sub folder'] },
], T0)
const items2 = makeItems('task-two', '\\\\fs01\\it', 'vm-bravo, "eu"', [
  { round: 0, status: 'Migrated', count: 30, size: 3 * 2 ** 20 },
  { round: 0, status: 'Failed', count: 3, size: 1, category: 'Path too long', errorCode: '0x0111000B' },
], T0 + 60_000)
const NOW = new Date('2026-01-10T11:00:00Z')
const items3 = makeItems('task-three', '/srv/eng', 'vm-charlie', [{ round: 0, status: 'Scanned', count: 4, size: 9 }], T0)

const tasks = [
  taskFrom('task-one', 'HR, "payroll"\n2026', '\\\\fs01\\hr', 'completed', A, items1),
  taskFrom('task-two', 'IT', '\\\\fs01\\it', 'failed', B, items2, { group: 'eu' }),
  taskFrom('task-three', '=HYPERLINK("http://evil")', '/srv/eng', 'in-progress', C, items3),
  taskFrom('task-four', 'Queued one', '\\\\fs02\\x', 'queued', null, []),
]
const byTask: Record<string, ItemRecord[]> = { 'task-one': items1, 'task-two': items2, 'task-three': items3, 'task-four': [] }

let out: string
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'mmesh-report-'))
})
afterAll(async () => {
  await rm(out, { recursive: true, force: true })
})

async function readCsv(path: string): Promise<{ header: string[]; rows: Record<string, string>[]; raw: Buffer }> {
  const raw = await readFile(path)
  const recs = parse(raw, { bom: true }) as string[][]
  const header = recs[0]!
  return { header, raw, rows: recs.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]!]))) }
}
const unescape = (s: string) => (/^'[=+\-@\t\r]/.test(s) ? s.slice(1) : s)

describe('writeReports', () => {
  let result: Awaited<ReturnType<typeof writeReports>>
  beforeAll(async () => {
    result = await writeReports({
      outDir: join(out, 'all'),
      tasks,
      agentName,
      items: (id) => fromArray(byTask[id] ?? []),
      ledgerJson: { tasks: { 'task-one': { name: 'x' } }, agents: { [A]: { name: 'vm-alpha', clientSecret: 'LEAK', nested: { password: 'LEAK' } } } },
      now: NOW,
    })
  })

  it('writes every file of the contract', async () => {
    expect(result.warnings).toEqual([])
    const top = (await readdir(result.dir)).sort()
    expect(top).toEqual(['Aggregate Summary Report.csv', 'Scan Summary Report.csv', 'ledger.json', 'report.html', 'task-four', 'task-one', 'task-three', 'task-two'])
    for (const id of ['task-one', 'task-two', 'task-three', 'task-four']) {
      expect((await readdir(join(result.dir, id))).sort()).toEqual(['ItemFailureReport.csv', 'ItemReport.csv', 'ItemSummary.csv', 'ScanSummary.csv'])
    }
    expect(result.files).toHaveLength(2 + 4 * 4 + 2)
    expect(result.items).toBe(items1.length + items2.length + items3.length)
  })

  it('Aggregate Summary Report: columns, status words, totals that agree with the task counters', async () => {
    const { header, rows, raw } = await readCsv(join(result.dir, 'Aggregate Summary Report.csv'))
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(header).toEqual([
      'Task name', 'Status', 'Source', 'Destination', 'Total scanned items', 'Total to be migrated items', 'Migrated items',
      'Items not migrated', 'Total bytes', 'Total GB', 'Migrated bytes', 'Migrated GB', 'Agent', 'Duration', 'TaskID',
      'Task failure reason', 'Agent group', 'Tags', 'Estimated time left',
    ])
    expect(rows.map((r) => r.Status)).toEqual(['Complete', 'Failed', 'In progress', 'Queued'])
    for (const [k, t] of tasks.entries()) {
      const r = rows[k]!
      expect(unescape(r['Task name']!)).toBe(t.name)
      expect(r.TaskID).toBe(t.id)
      expect(Number(r['Total scanned items'])).toBe(t.counts.scanned)
      expect(Number(r['Total to be migrated items'])).toBe(t.counts.toMigrate)
      expect(Number(r['Migrated items'])).toBe(t.counts.migrated + t.counts.unchanged)
      expect(Number(r['Total bytes'])).toBe(t.bytes.total)
      expect(Number(r['Migrated bytes'])).toBe(t.bytes.migrated)
      expect(r['Total GB']).toBe((t.bytes.total / 2 ** 30).toFixed(3))
      expect(r['Agent group']).toBe(t.group)
    }
    // round 1 of task one: 3 migrated + 4 unchanged + 1 failed of 8 to migrate, 3 skipped
    expect(rows[0]).toMatchObject({ 'Total scanned items': '11', 'Total to be migrated items': '8', 'Migrated items': '7', 'Items not migrated': '1' })
    expect(rows[1]).toMatchObject({ 'Items not migrated': '3', 'Total GB': '0.088', Agent: 'vm-bravo, "eu"', 'Task failure reason': 'Destination unreachable for 30 minutes' })
    expect(rows[0]!.Duration).toBe('01:02:03')
    expect(rows[2]!.Duration).toBe('02:00:00') // still running: start to `now`
    expect(rows[3]).toMatchObject({ Agent: '', Duration: '' })
    // time left: none for the completed one; unknown where nothing runs, and for the running one, which
    // has copied nothing yet (no measurement)
    expect(rows.map((r) => r['Estimated time left'])).toEqual(['00:00:00', 'unknown', 'unknown', 'unknown'])
    // once it has: the bytes and files left at its average rate over its 2 hours, the larger of the two
    const t2 = { ...tasks[2]!, counts: { ...tasks[2]!.counts, migrated: 1 }, bytes: { total: tasks[2]!.bytes.total, migrated: 9 } }
    const secs = Math.max((t2.bytes.total - 9) / (9 / 7200), (t2.counts.toMigrate - 1) / (1 / 7200))
    const cell = summaryRow(t2, () => '', NOW).at(-1) as string
    const [h, m, s] = cell.split(':').map(Number)
    expect(Math.abs(h! * 3600 + m! * 60 + s! - secs)).toBeLessThanOrEqual(1)
    // the formula-like task name is escaped, the newline in the other one survives quoting
    expect(rows[2]!['Task name']).toBe(`'=HYPERLINK("http://evil")`)
    expect(rows[0]!['Task name']).toBe('HR, "payroll"\n2026')
  })

  it('ItemReport holds every item of every round, quoted and escaped right', async () => {
    const { header, rows, raw } = await readCsv(join(result.dir, 'task-one', 'ItemReport.csv'))
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(header).toEqual(['Source', 'Destination', 'Item name', 'Extension', 'Item size', 'Status', 'Result category', 'Message', 'Incremental round', 'Task ID', 'Device name'])
    expect(rows).toHaveLength(items1.length)
    rows.forEach((r, k) => {
      const i = items1[k]!
      expect(unescape(r['Item name']!)).toBe(i.name)
      expect(r.Source).toBe(i.source)
      expect(Number(r['Item size'])).toBe(i.size)
      expect(r.Status).toBe(i.status)
      expect(Number(r['Incremental round'])).toBe(i.round)
      expect(r.Message).toBe(i.message)
    })
    const names = rows.map((r) => r['Item name'])
    expect(names).toContain(`'=cmd|' /C calc'!A0`)
    expect(names).toContain(`'+1`)
    expect(names).toContain(`'-2`)
    expect(names).toContain(`'@SUM(A1)`)
    expect(names).toContain('a, b "quoted".docx')
    expect(names).toContain('line\nbreak.txt')
    expect(names).toContain('Zürich 日本語 🚀.pdf')
  })

  it('ItemFailureReport holds the failed items with their error codes', async () => {
    const { header, rows } = await readCsv(join(result.dir, 'task-two', 'ItemFailureReport.csv'))
    expect(header).toContain('Error code')
    expect(header.indexOf('Error code')).toBe(header.indexOf('Message') + 1)
    expect(rows).toHaveLength(3)
    expect(rows.every((r) => r.Status === 'Failed' && r['Error code'] === '0x0111000B' && r['Result category'] === 'Path too long')).toBe(true)
    const one = await readCsv(join(result.dir, 'task-one', 'ItemFailureReport.csv'))
    expect(one.rows.map((r) => [r['Incremental round'], r['Error code']])).toEqual([['0', '0x01110003'], ['0', '0x01110003'], ['1', '0x01110010']])
  })

  it('ItemSummary and ScanSummary have one row per round with counts from the items', async () => {
    const is = await readCsv(join(result.dir, 'task-one', 'ItemSummary.csv'))
    expect(is.header.slice(0, 18)).toEqual([
      'Incremental round', 'Scanned', 'Item scan failures', 'Filtered out items', 'Expected migrated file count', 'Read', 'Packaged',
      'Uploaded', 'ReUploaded', 'Submitted', 'ReSubmitted', 'Migrated', 'Failed reading', 'Failed packing', 'Failed uploading',
      'Failed submitting', 'Failed querying', 'Device name',
    ])
    expect(is.rows).toHaveLength(2)
    expect(is.rows[0]).toMatchObject({ 'Incremental round': '0', Scanned: '7', 'Filtered out items': '0', 'Expected migrated file count': '7', Migrated: '5', 'Failed reading': '2', 'Device name': 'vm-alpha' })
    expect(is.rows[1]).toMatchObject({ 'Incremental round': '1', Scanned: '11', 'Filtered out items': '3', 'Expected migrated file count': '8', Migrated: '7', 'Unchanged items': '4', 'Copied items': '3', 'Failed items': '1', 'Failed uploading': '1' })
    const ss = await readCsv(join(result.dir, 'task-one', 'ScanSummary.csv'))
    expect(ss.rows[1]).toMatchObject({
      'Total scanned items': '11', 'Total scanned folders': '1', 'Total scanned files': '10', 'Items with issues': '4', 'Items filtered out': '3',
      'Folders to be migrated': '1', 'Items to be migrated': '7', 'Total items to be migrated': '8', 'Migration readiness': 'Errors',
    })
    const empty = await readCsv(join(result.dir, 'task-four', 'ItemSummary.csv'))
    expect(empty.rows).toEqual([])
  })

  it('ledger.json holds the ledger without secret-named keys', async () => {
    const text = await readFile(join(result.dir, 'ledger.json'), 'utf8')
    expect(JSON.parse(text)).toEqual({ tasks: { 'task-one': { name: 'x' } }, agents: { [A]: { name: 'vm-alpha', nested: {} } } })
    expect(text).not.toContain('LEAK')
  })
})

describe('writeReports filters and unreachable holders', () => {
  it('filters by task, status, agent (name or id) and since', async () => {
    const run = async (filter: object) =>
      (await writeReports({ outDir: join(out, `f${Math.random()}`), tasks, agentName, items: () => fromArray([]), ledgerJson: {}, filter })).tasks
    expect(await run({ taskIds: ['task-two', 'task-three'] })).toBe(2)
    expect(await run({ statuses: ['completed', 'failed'] })).toBe(2)
    expect(await run({ agent: 'VM-ALPHA' })).toBe(1)
    expect(await run({ agent: B })).toBe(1)
    expect(await run({ since: '2026-01-11T00:00:00Z' })).toBe(0)
    expect(await run({ since: '2026-01-10T00:00:00Z' })).toBe(4)
    const r = await writeReports({ outDir: join(out, 'nosuch'), tasks, agentName, items: () => fromArray([]), ledgerJson: {}, filter: { taskIds: ['nope'] } })
    expect(r.warnings).toEqual(['task nope: no such task in the ledger'])
  })

  it('names the agent whose data it could not reach and exports the rest', async () => {
    const marker: ItemsUnavailable = { unavailable: true, agent: A, round: 0, reason: 'not reachable for 10 s' }
    async function* source(id: string): AsyncIterable<ItemRecord | ItemsUnavailable> {
      if (id === 'task-one') {
        yield marker
        yield* items1.filter((i) => i.round === 1)
        return
      }
      if (id === 'task-two') {
        yield* items2.slice(0, 10)
        throw new Error(`peer ${agentName(B)} closed the stream`)
      }
      yield* byTask[id] ?? []
    }
    const r = await writeReports({ outDir: join(out, 'partial'), tasks, agentName, items: source, ledgerJson: {} })
    expect(r.warnings).toEqual([
      'task task-one (HR, "payroll"\n2026): the item results of round 0 held by vm-alpha could not be reached (not reachable for 10 s); the rest was exported',
      'task task-two (IT): item results incomplete after 10 items: peer vm-bravo, "eu" closed the stream; the rest was exported',
    ])
    expect((await readCsv(join(r.dir, 'task-one', 'ItemReport.csv'))).rows).toHaveLength(items1.filter((i) => i.round === 1).length)
    expect((await readCsv(join(r.dir, 'task-two', 'ItemReport.csv'))).rows).toHaveLength(10)
    expect((await readCsv(join(r.dir, 'task-three', 'ItemReport.csv'))).rows).toHaveLength(items3.length)
    const html = await readFile(join(r.dir, 'report.html'), 'utf8')
    expect(html).toContain('could not be reached')
  })

  it('writes per-round copies on request', async () => {
    const r = await writeReports({ outDir: join(out, 'rounds'), tasks, agentName, items: (id) => fromArray(byTask[id] ?? []), ledgerJson: {}, perRound: true, filter: { taskIds: ['task-one'] } })
    const files = (await readdir(join(r.dir, 'task-one'))).sort()
    expect(files).toContain('ItemReport_R0.csv')
    expect(files).toContain('ItemFailureReport_R1.csv')
    expect((await readCsv(join(r.dir, 'task-one', 'ItemReport_R1.csv'))).rows).toHaveLength(items1.filter((i) => i.round === 1).length)
  })

  it('exports 100,000 items of one task', async () => {
    const N = 100_000
    async function* many(): AsyncIterable<ItemRecord> {
      for (let k = 0; k < N; k++) {
        yield {
          taskId: 'big', round: 0, source: `\\\\fs\\big\\d${k % 100}\\f${k}.bin`, destination: `https://c/sites/b/Documents/d${k % 100}/f${k}.bin`,
          name: `f${k}.bin`, extension: 'bin', size: k, isFolder: false, status: k % 1000 === 0 ? 'Failed' : 'Migrated',
          resultCategory: k % 1000 === 0 ? 'Source read error' : 'Success', message: '', errorCode: k % 1000 === 0 ? '0x01110003' : '',
          device: 'vm-alpha', at: new Date(T0 + k * 10).toISOString(), readiness: 'ready',
        }
      }
    }
    const big = taskFrom('big', 'Big', '\\\\fs\\big', 'completed', A, [])
    const t0 = performance.now()
    const r = await writeReports({ outDir: join(out, 'big'), tasks: [big], agentName, items: () => many(), ledgerJson: {} })
    const ms = performance.now() - t0
    console.log(`100,000-item export: ${ms.toFixed(0)} ms`)
    expect(r.items).toBe(N)
    const text = await readFile(join(r.dir, 'big', 'ItemReport.csv'), 'utf8')
    expect(text.split('\r\n').length - 2).toBe(N) // header + trailing newline
    expect((await readCsv(join(r.dir, 'big', 'ItemFailureReport.csv'))).rows).toHaveLength(N / 1000)
  }, 120_000)
})
