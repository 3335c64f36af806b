/**
 * `mmesh report` as an admin runs it: the real CLI in a child process talks to a real control endpoint
 * serving reportHandler (the agent's side) over the data dir's socket, and the files land in --out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execa } from 'execa'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { parse } from 'csv-parse/sync'
import { ControlServer } from '../../agent/control/server.ts'
import { controlSocketPath } from '../../api/data-dir.ts'
import { reportHandler } from '../../agent/reports/handler.ts'
import type { ItemRecord } from '../../protocol/items.ts'
import { AGENT_IDS, agentName, fromArray, makeItems, taskFrom } from './fixtures.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const MMESH = join(ROOT, 'bin', 'mmesh.js')
const [A, B] = AGENT_IDS as [string, string]
const T0 = Date.parse('2026-01-10T09:00:00Z')
const itemsA = makeItems('t-a', '\\\\fs\\a', 'vm-alpha', [{ round: 0, status: 'Migrated', count: 12, size: 100 }, { round: 0, status: 'Failed', count: 1, size: 1 }], T0)
const itemsB = makeItems('t-b', '\\\\fs\\b', 'vm-bravo', [{ round: 0, status: 'Migrated', count: 5, size: 100 }], T0)
const tasks = [taskFrom('t-a', 'Alpha', '\\\\fs\\a', 'completed', A, itemsA), taskFrom('t-b', 'Bravo', '\\\\fs\\b', 'in-progress', B, itemsB)]
const byTask: Record<string, ItemRecord[]> = { 't-a': itemsA, 't-b': itemsB }

let tmp: string
let dataDir: string
let server: ControlServer
let socket: string

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mmesh-rc-'))
  dataDir = join(tmp, 'data')
  await execa('mkdir', ['-p', dataDir])
  server = new ControlServer(pino({ level: 'silent' }))
  server.handle(
    'report.write',
    reportHandler({
      tasks: () => tasks,
      agentName,
      items: (id) => fromArray(byTask[id] ?? []),
      ledgerJson: () => ({ tasks: Object.fromEntries(tasks.map((t) => [t.id, { name: t.name }])) }),
      selfName: 'vm-exporter',
    }),
  )
  socket = controlSocketPath(dataDir)
  await server.listen(socket)
})
afterAll(async () => {
  await server?.close(socket)
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

const run = (args: string[]) => execa('node', [MMESH, 'report', '--data', dataDir, ...args], { cwd: tmp, reject: false, timeout: 60_000 })

describe('mmesh report', () => {
  it('writes the reports into --out (relative to the caller) and prints the folder and a summary', async () => {
    const r = await run(['--out', 'reports-1'])
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    const [dir, summary] = r.stdout.split('\n')
    expect(dir).toBe(join(tmp, 'reports-1'))
    expect(summary).toBe('wrote 2 tasks, 18 items, 12 files: Aggregate Summary Report.csv, Scan Summary Report.csv, per-task CSVs, ledger.json, report.html')
    expect((await readdir(dir!)).sort()).toEqual(['Aggregate Summary Report.csv', 'Scan Summary Report.csv', 'ledger.json', 'report.html', 't-a', 't-b'])
    const rows = parse(await readFile(join(dir!, 'Aggregate Summary Report.csv')), { bom: true, columns: true }) as Record<string, string>[]
    expect(rows.map((x) => [x.TaskID, x.Status, x['Migrated items'], x.Agent])).toEqual([
      ['t-a', 'Complete', '12', 'vm-alpha'],
      ['t-b', 'In progress', '5', 'vm-bravo, "eu"'],
    ])
    expect(await readFile(join(dir!, 'report.html'), 'utf8')).toContain('by vm-exporter')
  })

  it('passes the filters to the agent', async () => {
    const r = await run(['--out', join(tmp, 'reports-2'), '--status', 'In progress', '--since', '2026-01-01'])
    expect(r.exitCode).toBe(0)
    expect((await readdir(join(tmp, 'reports-2'))).sort()).toEqual(['Aggregate Summary Report.csv', 'Scan Summary Report.csv', 'ledger.json', 'report.html', 't-b'])
    const r2 = await run(['--out', join(tmp, 'reports-3'), '--task', 't-a', '--task', 'nope', '--agent', 'vm-alpha'])
    expect(r2.exitCode).toBe(0)
    expect(r2.stderr).toBe('warning: task nope: no such task in the ledger')
    expect(r2.stdout.split('\n')[1]).toMatch(/^wrote 1 task, 13 items, 8 files: .*; 1 warning/)
  })

  it('refuses bad flags with exit 1 before asking the agent', async () => {
    const bad = await run(['--out', 'x', '--status', 'done'])
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toMatch(/--status done: not a task status/)
    const since = await run(['--out', 'x', '--since', '31/01/2024'])
    expect(since.exitCode).toBe(1)
    expect(since.stderr).toMatch(/--since: "31\/01\/2024" is not a date/)
    const noOut = await run([])
    expect(noOut.exitCode).toBe(1)
    expect(noOut.stderr).toMatch(/--out OUTDIR is required/)
  })

  it('exits 1 with the reason when the folder cannot be written', async () => {
    await writeFile(join(tmp, 'a-file'), 'x')
    const r = await run(['--out', join(tmp, 'a-file', 'sub')])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/cannot write the report to .*a-file\/sub/)
  })

  it('exits 3 when no agent runs on the data dir', async () => {
    const r = await execa('node', [MMESH, 'report', '--data', join(tmp, 'nobody'), '--out', 'x'], { cwd: tmp, reject: false, timeout: 60_000 })
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toMatch(/no agent is running/)
  })
})
