import { describe, expect, it } from 'vitest'
import { destinationText, escapeFormula, formatDuration, parseStatusFilter, taskDuration, toGB, ITEM_FAILURE_COLUMNS } from './report-rows.ts'
import { ThroughputTally } from './report-throughput.ts'
import { RoundTallies, itemSummaryRow, scanSummaryRow, ITEM_SUMMARY_COLUMNS, SCAN_SUMMARY_COLUMNS } from './report-rounds.ts'
import type { ItemRecord } from './items.ts'

describe('report cells', () => {
  it('GB is bytes / 2^30 with three decimals', () => {
    expect(toGB(0)).toBe('0.000')
    expect(toGB(2 ** 30)).toBe('1.000')
    expect(toGB(1.5 * 2 ** 30 + 1)).toBe('1.500')
    expect(toGB(2 ** 20)).toBe('0.001')
  })
  it('durations are hh:mm:ss, hours past 24 keep counting', () => {
    expect(formatDuration(0)).toBe('00:00:00')
    expect(formatDuration(3_723_999)).toBe('01:02:03')
    expect(formatDuration(100 * 3600_000 + 59_000)).toBe('100:00:59')
    expect(formatDuration(-5)).toBe('00:00:00')
    const now = new Date('2026-01-01T01:00:00Z')
    expect(taskDuration({ startedAt: '2026-01-01T00:30:00Z', finishedAt: null, status: 'in-progress' }, now)).toBe('00:30:00')
    expect(taskDuration({ startedAt: null, finishedAt: null, status: 'queued' }, now)).toBe('')
  })
  it('escapes formula-like text cells and leaves numbers and other text alone', () => {
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', "=cmd|' /C calc'!A0"]) expect(escapeFormula(s)).toBe(`'${s}`)
    for (const s of ['a=1', ' =1', '', 'Zürich', "'quoted"]) expect(escapeFormula(s)).toBe(s)
    expect(escapeFormula(-5)).toBe(-5)
  })
  it('reads status filters in contract and report spellings', () => {
    expect(['in-progress', 'In progress', 'IN_PROGRESS', 'Complete', 'completed', 'canceled', 'Cancelled', 'queued'].map(parseStatusFilter)).toEqual([
      'in-progress', 'in-progress', 'in-progress', 'completed', 'completed', 'cancelled', 'cancelled', 'queued',
    ])
    expect(parseStatusFilter('done')).toBeNull()
  })
  it('joins the destination like a library path', () => {
    expect(destinationText({ url: 'https://c/sites/x/', library: 'Documents', folder: 'a/b' })).toBe('https://c/sites/x/Documents/a/b')
    expect(destinationText({ url: 'file:///srv/out', library: null, folder: null })).toBe('file:///srv/out')
  })
  it('ItemFailureReport puts Error code after Message', () => {
    expect(ITEM_FAILURE_COLUMNS.indexOf('Error code')).toBe(ITEM_FAILURE_COLUMNS.indexOf('Message') + 1)
    expect(ITEM_FAILURE_COLUMNS).toHaveLength(12)
  })
})

function item(p: Partial<ItemRecord>): ItemRecord {
  return {
    taskId: 't', round: 0, source: 's', destination: 'd', name: 'n', extension: 'txt', size: 10, isFolder: false, status: 'Migrated',
    resultCategory: 'Success', message: '', errorCode: '', device: 'vm', at: '2026-01-01T00:00:00Z', readiness: 'ready', ...p,
  }
}

describe('RoundTallies', () => {
  it('counts per round, with Migrated = copied + unchanged and readiness from the worst item', () => {
    const t = new RoundTallies()
    t.add(item({ status: 'Migrated' }))
    t.add(item({ status: 'Unchanged' }))
    t.add(item({ status: 'Skipped', readiness: 'warning' }))
    t.add(item({ status: 'Failed', resultCategory: 'Source read error', readiness: 'error' }))
    t.add(item({ status: 'Failed', resultCategory: 'Invalid name', readiness: 'warning' }))
    t.add(item({ status: 'Migrated', isFolder: true, size: 0, round: 1, device: 'vm2' }))
    const [r0, r1] = t.list()
    const is = Object.fromEntries(ITEM_SUMMARY_COLUMNS.map((c, k) => [c, itemSummaryRow(r0!)[k]]))
    expect(is).toMatchObject({ Scanned: 5, 'Filtered out items': 1, 'Expected migrated file count': 4, Migrated: 2, 'Failed reading': 1, 'Failed uploading': 1, 'Item scan failures': 1, 'Unchanged items': 1, 'Copied items': 1 })
    const ss = Object.fromEntries(SCAN_SUMMARY_COLUMNS.map((c, k) => [c, scanSummaryRow(r0!)[k]]))
    expect(ss).toMatchObject({ 'Total scanned items': 5, 'Items with issues': 3, 'Items filtered out': 1, 'Items to be migrated': 4, 'Migration readiness': 'Errors', 'Ready items': 2, 'Items with warnings': 2, 'Items with errors': 1 })
    const ss1 = Object.fromEntries(SCAN_SUMMARY_COLUMNS.map((c, k) => [c, scanSummaryRow(r1!)[k]]))
    expect(ss1).toMatchObject({ 'Incremental round': 1, 'Total scanned folders': 1, 'Folders to be migrated': 1, 'Migration readiness': 'Ready', 'Device name': 'vm2' })
    expect([...t.failureCategories]).toEqual([['Source read error', 1], ['Invalid name', 1]])
  })
})

describe('ThroughputTally', () => {
  it('turns copied bytes into bytes per second per agent on a common grid', () => {
    const t = new ThroughputTally()
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString()
    for (let s = 0; s < 20; s++) t.add({ status: 'Migrated', size: 5000, at: at(s), device: 'a' })
    t.add({ status: 'Failed', size: 1e9, at: at(3), device: 'a' })
    t.add({ status: 'Migrated', size: 10_000, at: at(12), device: 'b' })
    const s = t.series()
    expect(Object.keys(s).sort()).toEqual(['a', 'b'])
    expect(s.a).toHaveLength(4)
    expect(s.a!.every((p) => p.bytesPerSec === 5000)).toBe(true)
    expect(s.b!.map((p) => p.bytesPerSec)).toEqual([0, 0, 2000, 0])
  })
  it('stays bounded over a long span and keeps the total', () => {
    const t = new ThroughputTally()
    const start = Date.UTC(2026, 0, 1)
    // one item a minute for 60 days: 86,400 buckets at the starting width, coarsened as it goes
    for (let k = 0; k < 86_400; k++) t.add({ status: 'Migrated', size: 60, at: new Date(start + k * 60_000).toISOString(), device: 'a' })
    const s = t.series(100).a!
    expect(s.length).toBeLessThanOrEqual(100)
    const widthS = (Date.parse(s[1]!.t) - Date.parse(s[0]!.t)) / 1000
    const total = s.reduce((sum, p) => sum + p.bytesPerSec * widthS, 0)
    expect(Math.round(total)).toBe(86_400 * 60)
  })
})
