/**
 * Issue 17, the assessment, end to end with real agents: a scan-only task, a scan-only task whose
 * destination cannot be written, and a migration of the same share. `task show` (text and --json) on
 * another agent, the Scan Summary Report, each task's ScanSummary.csv and report.html's buckets (in
 * Chromium) show Migration Manager's scan figures as the fixture below makes them: data size, file and
 * folder counts, the longest destination path, the root's permission entries, readiness and why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parse } from 'csv-parse/sync'
import { chromium } from 'playwright-core'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { needTool, needTools } from '../support/system-tools.ts'
import { listTasks } from '../leases/lease-harness.ts'
import type { Assessment } from '../../protocol/assessment.ts'

const browserProgram = needTool('chromium', 'opens report.html in a real browser')
const acl = needTools(['getfacl', 'setfacl'], 'gives the source root a known number of ACL entries')

const DEEP = 'a-folder-whose-name-makes-this-the-longest-destination-path'
/** name → [size, year of its modified time] */
const FILES: Record<string, [number, number]> = {
  'a.txt': [100, 2019],
  'b.bin': [2000, 2021],
  'docs/c.txt': [300, 2024],
  [`docs/${DEEP}/d.txt`]: [50, 2024],
  ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`many/f0${i}.txt`, [10, 2024]])),
}
const FOLDERS = ['docs', `docs/${DEEP}`, 'many']
const DATA_SIZE = Object.values(FILES).reduce((n, [s]) => n + s, 0)
const YEARS = Object.values(FILES).reduce<Record<string, number>>((m, [, y]) => ({ ...m, [y]: (m[y] ?? 0) + 1 }), {})

let fleet: Fleet
let runner: AgentProc
let other: AgentProc

beforeAll(async () => {
  fleet = await createFleet()
  runner = await fleet.start('scanner')
  // another group: it runs nothing and answers show and report from its own replica of the ledger
  other = await fleet.start('viewer', { peers: [runner], args: ['--group', 'spare'] })
  await waitFor(async () => (await fleet.call<{ state: string }[]>(other, 'agents.list')).filter((a) => a.state === 'online').length === 2, { timeoutMs: 30_000, message: '2 online' })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

function makeShare(): string {
  const root = path.join(fleet.tempDir('src'), 'share')
  for (const f of FOLDERS) fs.mkdirSync(path.join(root, f), { recursive: true })
  for (const [name, [size, year]] of Object.entries(FILES)) {
    const p = path.join(root, name)
    fs.writeFileSync(p, Buffer.alloc(size, 0x61))
    const t = new Date(Date.UTC(year, 5, 15))
    fs.utimesSync(p, t, t)
  }
  // owner, group, other, one named user and the mask: 5 entries
  if (!acl.skip) execFileSync('setfacl', ['-m', 'u:65534:r-x', root])
  return root
}

function readCsv(file: string): Record<string, string>[] {
  return parse(fs.readFileSync(file, 'utf8'), { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[]
}

describe('the scan assessment', () => {
  it('shows the scan figures in task show, the scan reports and report.html', async () => {
    const share = makeShare()
    const dst = fleet.tempDir('dst')
    const add = async (args: string[]) => {
      const r = await fleet.run(['task', 'add', '--source', share, ...args], runner)
      expect(r.exitCode, r.stderr).toBe(0)
      return r.stdout.trim()
    }
    const scanId = await add(['--dest', `file://${dst}`, '--folder', 'scan', '--name', 'scan ok', '--scan-only'])
    const missing = path.join(fleet.tempDir('gone'), 'not-there')
    const badId = await add(['--dest', `file://${missing}`, '--name', 'scan bad dest', '--scan-only'])
    const migrateId = await add(['--dest', `file://${dst}`, '--folder', 'copy', '--name', 'migrate'])
    const ids = [scanId, badId, migrateId]
    await waitFor(async () => {
      const t = (await listTasks(fleet, other)).filter((x) => ids.includes(x.id))
      return t.length === 3 && t.every((x) => x.status === 'completed') ? t : null
    }, { timeoutMs: 120_000, intervalMs: 500, message: 'three tasks completed' })

    // the scan-only round created nothing at the destination: the probe file is gone, the folder never made
    expect(fs.readdirSync(dst).sort()).toEqual(['copy'])
    expect(fs.existsSync(missing)).toBe(false)

    const show = async (id: string) => {
      const r = await fleet.run(['task', 'show', id, '--json'], other)
      expect(r.exitCode, r.stderr).toBe(0)
      return (JSON.parse(r.stdout) as { assessment: Assessment | null }).assessment!
    }
    const longest = (folder: string) => path.join(dst, folder, 'docs', DEEP, 'd.txt')
    const scan = await show(scanId)
    expect(scan).toMatchObject({
      round: 0, dataSize: DATA_SIZE, files: Object.keys(FILES).length, folders: FOLDERS.length,
      maxPath: longest('scan'), maxPathLength: longest('scan').length, readiness: 'Ready', readinessReason: null, errors: 0, warnings: 0,
      modifiedYears: YEARS,
    })
    expect(scan.rootPermissions).toBe(acl.skip ? null : 5)
    expect(scan.lastAccessed).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(scan.destinationCheck?.ok).toBe(true)
    expect(scan.destinationCheck?.message).toBe(`wrote and removed a test file in ${dst}`)

    const bad = await show(badId)
    expect(bad).toMatchObject({ files: Object.keys(FILES).length, readiness: 'Errors', destinationCheck: { ok: false } })
    expect(bad.readinessReason).toBe(`destination check failed: destination folder ${missing} does not exist or cannot be reached: create or mount it, or correct the file:// URL`)

    const mig = await show(migrateId)
    expect(mig).toMatchObject({ dataSize: DATA_SIZE, files: Object.keys(FILES).length, maxPath: longest('copy'), readiness: 'Ready', destinationCheck: null })

    const text = await fleet.run(['task', 'show', badId], other)
    expect(text.exitCode).toBe(0)
    expect(text.stdout).toMatch(/Migration readiness +Errors — destination check failed: destination folder .* does not exist/)
    expect(text.stdout).toMatch(new RegExp(`Data size +2\\.5 KB \\(${DATA_SIZE} bytes\\)`))
    expect(text.stdout).toMatch(/File count +12\n +Folder count +3\n/)
    expect(text.stdout).toContain(`Root permissions    ${acl.skip ? 'unknown' : 5}`)

    // the reports, written on the agent that ran nothing
    const out = fleet.tempDir('report')
    const rep = await fleet.run(['report', '--out', out], other, { timeoutMs: 120_000 })
    expect(rep.exitCode, rep.stderr).toBe(0)
    const list = readCsv(path.join(out, 'Scan Summary Report.csv'))
    expect(list.map((r) => r['Task ID']).sort()).toEqual([...ids].sort())
    const row = list.find((r) => r['Task ID'] === scanId)!
    expect(row).toMatchObject({
      'Source path': share, 'Scan status': 'Success', 'Data size': String(DATA_SIZE), 'File count': '12', 'Folder count': '3',
      'Max path length': String(longest('scan').length), 'Max path': longest('scan'), 'Root permissions': acl.skip ? 'unknown' : '5', 'Migration readiness': 'Ready',
    })
    expect(list.find((r) => r['Task ID'] === badId)).toMatchObject({ 'Migration readiness': 'Errors', 'Readiness reason': bad.readinessReason })
    const perRound = readCsv(path.join(out, badId, 'ScanSummary.csv'))
    expect(perRound).toHaveLength(1)
    expect(perRound[0]).toMatchObject({
      'Incremental round': '0', 'Total scanned files': '12', 'Total scanned folders': '3', 'Migration readiness': 'Errors', 'Scan status': 'Success',
      'Data size': String(DATA_SIZE), 'File count': '12', 'Max path length': String(path.join(missing, 'docs', DEEP, 'd.txt').length), 'Task ID': badId,
    })
    expect(perRound[0]!['Destination check']).toMatch(/^failed: destination folder .* does not exist/)

    if (browserProgram.skip) return
    const browser = await chromium.launchPersistentContext(fleet.tempDir('profile'), {
      executablePath: browserProgram.path!, headless: true, timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    try {
      const page = await browser.newPage()
      const problems: string[] = []
      page.on('pageerror', (e) => problems.push(e.message))
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
      await page.goto(pathToFileURL(path.join(out, 'report.html')).href, { waitUntil: 'load', timeout: 20_000 })
      const bars = (id: string) => page.$$eval(`#${id} g.bar`, (gs) => gs.map((g) => [g.querySelector('text')!.textContent, Number(g.getAttribute('data-value'))]))
      // three scanned tasks of 12 files and 2.5 KB each
      expect(await bars('scan-files-chart')).toEqual([['<10', 0], ['10–1K', 3], ['1K–5K', 0], ['5K–25K', 0], ['25K–50K', 0], ['>50K', 0]])
      expect(await bars('scan-size-chart')).toEqual([['<1 GB', 3], ['1–20 GB', 0], ['20–100 GB', 0], ['100–500 GB', 0], ['500 GB–1 TB', 0], ['>1 TB', 0]])
      expect(await bars('scan-years-chart')).toEqual(Object.entries(YEARS).map(([y, n]) => [y, 3 * n]))
      expect(await page.textContent('#scan-assessed')).toBe('(3 scanned tasks)')
      expect(problems).toEqual([])
    } finally {
      await browser.close()
    }
  }, 300_000)
})
