/**
 * report.html in a real browser: Debian's chromium driven by playwright-core, no network, a fresh
 * profile. The page must load without console errors or requests, and its charts must hold the data
 * the test put in; a task named like a script must render as text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type BrowserContext } from 'playwright-core'
import { writeReports } from '../../agent/reports/write-reports.ts'
import type { ItemRecord } from '../../protocol/items.ts'
import { needTool } from '../support/system-tools.ts'
import { AGENT_IDS, agentName, fromArray, makeItems, taskFrom } from './fixtures.ts'

const browserProgram = needTool('chromium', 'opens report.html in a real browser')
const [A, B, C] = AGENT_IDS as [string, string, string]
const T0 = Date.parse('2026-01-10T09:00:00Z')

const itemsA = makeItems('t-alpha', '\\\\fs01\\hr', 'vm-alpha', [
  { round: 0, status: 'Migrated', count: 40, size: 5 * 2 ** 20 },
  { round: 0, status: 'Failed', count: 6, size: 1, category: 'Path too long', errorCode: '0x0111000B' },
  { round: 0, status: 'Failed', count: 2, size: 1, category: '<b>Invalid</b> name', errorCode: '0x01110010' },
], T0)
const itemsB = makeItems('t-bravo', '\\\\fs01\\it', 'vm-bravo, "eu"', [
  { round: 0, status: 'Migrated', count: 30, size: 2 * 2 ** 20 },
  { round: 0, status: 'Failed', count: 3, size: 1 },
], T0 + 10_000)
const tasks = [
  taskFrom('t-alpha', '<script>alert(1)</script>', '\\\\fs01\\hr', 'completed', A, itemsA),
  taskFrom('t-bravo', 'IT & "Ops"', '\\\\fs01\\it', 'completed', B, itemsB),
  taskFrom('t-charlie', 'Eng', '/srv/eng', 'in-progress', C, []),
  taskFrom('t-delta', 'Finance', '\\\\fs02\\fin', 'failed', C, []),
  taskFrom('t-echo', 'Queued <img src=x onerror=alert(2)>', '\\\\fs02\\q', 'queued', null, []),
]
const byTask: Record<string, ItemRecord[]> = { 't-alpha': itemsA, 't-bravo': itemsB }

describe.skipIf(browserProgram.skip)('report.html in headless Chromium', () => {
  let dir: string
  let browser: BrowserContext
  let reportUrl: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmesh-html-'))
    const r = await writeReports({ outDir: join(dir, 'out'), tasks, agentName, items: (id) => fromArray(byTask[id] ?? []), ledgerJson: {}, now: new Date('2026-01-10T11:00:00Z') })
    reportUrl = pathToFileURL(join(r.dir, 'report.html')).href
    // a fresh profile per run (playwright passes it as --user-data-dir)
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: browserProgram.path!,
      headless: true,
      timeout: 30_000,
      viewport: { width: 1280, height: 1400 },
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync',
      ],
    })
  })
  afterAll(async () => {
    await browser?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('opens with no console errors and no network requests, and the charts hold the data', async () => {
    const page = await browser.newPage()
    const problems: string[] = []
    const requests: string[] = []
    let dialogs = 0
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text())
    })
    page.on('pageerror', (e) => problems.push(e.message))
    page.on('request', (r) => {
      if (r.url() !== reportUrl) requests.push(r.url())
    })
    page.on('dialog', (d) => {
      dialogs++
      void d.dismiss()
    })
    await page.goto(reportUrl, { waitUntil: 'load', timeout: 20_000 })

    // tasks by status: 2 complete, 1 in progress, 1 failed, 1 queued
    const status = await page.$$eval('#status-chart g.bar', (gs) => gs.map((g) => [g.getAttribute('data-status'), Number(g.getAttribute('data-value'))]))
    expect(Object.fromEntries(status)).toEqual({ completed: 2, 'in-progress': 1, failed: 1, queued: 1 })

    // failure categories, largest first, names escaped but shown as written
    const fails = await page.$$eval('#failure-chart g.bar', (gs) => gs.map((g) => [g.querySelector('title')!.textContent, Number(g.getAttribute('data-value'))]))
    expect(fails).toEqual([['Path too long: 6', 6], ['Source read error: 3', 3], ['<b>Invalid</b> name: 2', 2]])

    // throughput: one series per agent that copied, with the bytes it copied spread over its buckets
    const series = await page.$$eval('#throughput-chart g.series', (gs) => gs.map((g) => ({ agent: g.getAttribute('data-agent'), points: Number(g.getAttribute('data-points')), d: g.querySelector('path')!.getAttribute('d') })))
    expect(series.map((s) => s.agent).sort()).toEqual(['vm-alpha', 'vm-bravo, "eu"'])
    for (const s of series) {
      expect(s.points).toBeGreaterThan(1)
      expect(s.d).toMatch(/^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+$/)
    }

    // totals and the table
    expect(await page.textContent('#total-tasks b')).toBe('5')
    expect(await page.textContent('#total-migrated b')).toBe(String(40 + 30))
    expect(await page.textContent('#total-failed b')).toBe(String(8 + 3))
    expect(await page.$$eval('#tasks tbody tr', (rs) => rs.length)).toBe(5)

    // the script-like names are text, not markup
    const first = await page.$eval('#tasks tbody tr[data-task="t-alpha"] td', (td) => ({ text: td.textContent, children: td.children.length }))
    expect(first).toEqual({ text: '<script>alert(1)</script>', children: 0 })
    expect(await page.$$eval('#tasks img', (xs) => xs.length)).toBe(0)
    expect(await page.$$eval('body script', (xs) => xs.length)).toBe(1)

    // sorting and filtering work without errors
    await page.click('#tasks thead th:nth-child(5)')
    await page.fill('#filter', 'finance')
    expect(await page.$$eval('#tasks tbody tr', (rs) => rs.filter((r) => (r as HTMLElement).style.display !== 'none').length)).toBe(1)
    await page.fill('#filter', '')

    const shot = join(tmpdir(), 'mmesh-report-html.png')
    await page.screenshot({ path: shot, fullPage: true })
    console.log(`screenshot: ${shot}`)

    expect(dialogs).toBe(0)
    expect(requests).toEqual([])
    expect(problems).toEqual([])
    await page.close()
  })
})
