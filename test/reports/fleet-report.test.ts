/**
 * Issue 7 end to end: after a 3-agent run of 6 tasks (items migrated, skipped and failed among them), the
 * report written on the agent that ran none of them parses back and every count matches the destination
 * as it is; with the agent that ran a task stopped for good, its item report still exports complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { SourceTree } from '../fixtures/source-tree.ts'
import { DEFAULT_SETTINGS } from '../../protocol/settings.ts'
import { listTasks } from '../leases/lease-harness.ts'

let fleet: Fleet
let r1: AgentProc
let r2: AgentProc
let r3: AgentProc

beforeAll(async () => {
  fleet = await createFleet()
  r1 = await fleet.start('r1', { args: ['--capacity', '3'] })
  r2 = await fleet.start('r2', { peers: [r1], args: ['--capacity', '3'] })
  // r3 is in another group: it runs none of the tasks, and exports the reports
  r3 = await fleet.start('r3', { peers: [r1], args: ['--group', 'spare'] })
  await waitFor(async () => (await fleet.call<{ state: string }[]>(r3, 'agents.list')).filter((a) => a.state === 'online').length === 3, { timeoutMs: 30_000, message: '3 online' })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

function readCsv(file: string): Record<string, string>[] {
  const text = fs.readFileSync(file, 'utf8')
  expect(text.charCodeAt(0)).toBe(0xfeff)
  return parse(text, { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[]
}

/** Files and folders under a destination root, as they are. */
function countEntries(dir: string): number {
  let n = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    n++
    if (e.isDirectory()) n += countEntries(path.join(dir, e.name))
  }
  return n
}

describe('reports from any node', () => {
  it('writes reports on an agent that ran nothing, and every count matches the destination', async () => {
    const dst = fleet.tempDir('dst')
    const trees: SourceTree[] = []
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      const tree = await SourceTree.create({ root: path.join(fleet.tempDir('src'), `share${i}`), smallFiles: 20 + i, depth: 3 })
      trees.push(tree)
      const r = await fleet.run(['task', 'add', '--source', tree.root, '--dest', `file://${dst}`, '--folder', `t${i}`, '--name', `share ${i}, "quoted"`], r1)
      expect(r.exitCode).toBe(0)
      ids.push(r.stdout.trim())
    }
    const tasks = await waitFor(async () => {
      const t = (await listTasks(fleet, r3)).filter((x) => ids.includes(x.id))
      return t.length === 6 && t.every((x) => x.status === 'completed') ? t : null
    }, { timeoutMs: 120_000, intervalMs: 500, message: 'six tasks completed' })
    expect(tasks.every((t) => t.agent !== r3.peerId)).toBe(true)

    const out = fleet.tempDir('report')
    const rep = await fleet.run(['report', '--out', out], r3, { timeoutMs: 120_000 })
    expect(rep.exitCode).toBe(0)
    const summary = readCsv(path.join(out, 'Aggregate Summary Report.csv'))
    expect(summary).toHaveLength(6)
    let sawSkipped = false
    let sawFailed = false
    for (let i = 0; i < 6; i++) {
      const row = summary.find((r) => r.TaskID === ids[i])!
      expect(row['Task name']).toBe(`share ${i}, "quoted"`)
      expect(row.Status).toBe('Complete')
      const expected = [...trees[i]!.expected(DEFAULT_SETTINGS, `${dst}/t${i}`).values()]
      const migrated = expected.filter((e) => e.status === 'Migrated').length
      const failed = expected.filter((e) => e.status === 'Failed').length
      const skipped = expected.filter((e) => e.status === 'Skipped').length
      sawSkipped ||= skipped > 0
      sawFailed ||= failed > 0
      // the destination as it is holds exactly the migrated items
      expect(countEntries(path.join(dst, `t${i}`))).toBe(migrated)
      expect(Number(row['Migrated items'])).toBe(migrated)
      expect(Number(row['Total scanned items'])).toBe(expected.length)
      expect(Number(row['Items not migrated'])).toBe(failed)
      const items = readCsv(path.join(out, ids[i]!, 'ItemReport.csv'))
      expect(items).toHaveLength(expected.length)
      expect(items.filter((r) => r.Status === 'Migrated')).toHaveLength(migrated)
      expect(items.filter((r) => r.Status === 'Skipped')).toHaveLength(skipped)
      const failures = readCsv(path.join(out, ids[i]!, 'ItemFailureReport.csv'))
      expect(failures).toHaveLength(failed)
      for (const f of failures) expect(f['Error code']).not.toBe('')
    }
    expect(sawSkipped && sawFailed).toBe(true)
    const ledger = JSON.parse(fs.readFileSync(path.join(out, 'ledger.json'), 'utf8')) as { tasks: Record<string, unknown> }
    expect(Object.keys(ledger.tasks)).toHaveLength(6)
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toMatch(/share 0, (&quot;|&#34;|\\"|\\u0022)quoted/)

    // The agent that ran task 0 goes away for good: its item results come from the copies.
    const holder = tasks.find((t) => t.id === ids[0])!.agent
    const gone = [r1, r2].find((a) => a.peerId === holder)!
    await fleet.kill(gone)
    await waitFor(async () => (await fleet.call<{ id: string; state: string }[]>(r3, 'agents.list')).find((a) => a.id === gone.peerId)?.state === 'offline', {
      timeoutMs: 20_000,
      message: 'holder offline',
    })
    const out2 = fleet.tempDir('report2')
    const rep2 = await fleet.run(['report', '--out', out2, '--task', ids[0]!], r3, { timeoutMs: 120_000 })
    expect(rep2.exitCode).toBe(0)
    expect(rep2.stderr).not.toMatch(/could not|unreachable/i)
    const expected0 = [...trees[0]!.expected(DEFAULT_SETTINGS, `${dst}/t0`).values()]
    expect(readCsv(path.join(out2, ids[0]!, 'ItemReport.csv'))).toHaveLength(expected0.length)
  }, 300_000)
})
