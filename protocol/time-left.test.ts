import { describe, expect, it } from 'vitest'
import { fleetSecondsLeft, formatSecondsLeft, isLowerBound, taskSecondsLeft, type TimeLeftTask } from './time-left.ts'

const MB = 1024 * 1024
const START = Date.parse('2026-12-03T08:00:00Z')
const task = (over: Partial<Pick<TimeLeftTask, 'status' | 'startedAt'>> & { done?: number; files?: number; bytes?: number; doneBytes?: number }): TimeLeftTask => ({
  status: over.status ?? 'in-progress',
  counts: { toMigrate: over.files ?? 100, migrated: over.done ?? 0, unchanged: 0, failed: 0 },
  bytes: { total: over.bytes ?? 100 * MB, migrated: over.doneBytes ?? 0 },
  startedAt: over.startedAt === undefined ? new Date(START).toISOString() : over.startedAt,
})

describe('taskSecondsLeft', () => {
  it('is unknown until a running task has measured something; 0 once completed', () => {
    expect(taskSecondsLeft(task({ status: 'queued' }), undefined, START + 60_000)).toBeNull()
    expect(taskSecondsLeft(task({ status: 'scanning', done: 10, doneBytes: 10 * MB }), undefined, START + 60_000)).toBeNull()
    expect(taskSecondsLeft(task({ status: 'paused', done: 10, doneBytes: 10 * MB }), undefined, START + 60_000)).toBeNull()
    expect(taskSecondsLeft(task({}), undefined, START + 60_000)).toBeNull() // nothing copied yet
    expect(taskSecondsLeft(task({ files: 0, bytes: 0 }), undefined, START + 60_000)).toBeNull() // nothing found yet
    expect(taskSecondsLeft(task({ done: 100, doneBytes: 100 * MB }), undefined, START + 60_000)).toBeNull() // all found is done, the walk goes on
    expect(taskSecondsLeft(task({ done: 10, doneBytes: 10 * MB }), undefined, START + 1000)).toBeNull() // too early to tell
    expect(taskSecondsLeft(task({ status: 'completed', done: 100, doneBytes: 100 * MB }), undefined, START + 60_000)).toBe(0)
  })
  it('from the average since the round started: bytes and files left at the rates measured', () => {
    // 25 of 100 MB and 25 of 100 files in 50 s: 75 more of each at the same pace, 150 s
    expect(taskSecondsLeft(task({ done: 25, doneBytes: 25 * MB }), undefined, START + 50_000)).toBeCloseTo(150)
  })
  it('takes the larger of the two: many small files left are bound by files per second', () => {
    // half the bytes done (one big file) but 1 of 101 files: the files take longer
    const t = task({ files: 101, done: 1, bytes: 200 * MB, doneBytes: 100 * MB })
    expect(taskSecondsLeft(t, undefined, START + 10_000)).toBeCloseTo(1000)
  })
  it("prefers the holder's live rate while it moves bytes, and its live counts when ahead of the ledger", () => {
    const t = task({ done: 10, doneBytes: 10 * MB })
    // live: 50 MB and 50 files done, 10 MB/s now → 50 MB left at 10 MB/s = 5 s; files at 1 MB each: 5 s
    expect(taskSecondsLeft(t, { throughput: 10 * MB, bytesDone: 50 * MB, filesDone: 50 }, START + 100_000)).toBeCloseTo(5)
    // a live rate of 0 (a pause between files): the average since start speaks
    expect(taskSecondsLeft(t, { throughput: 0, bytesDone: 50 * MB, filesDone: 50 }, START + 100_000)).toBeCloseTo(100)
  })
  it("the holder's live phase and totals count before the ledger's next checkpoint has them", () => {
    const t = task({ status: 'scanning', files: 0, bytes: 0 })
    expect(taskSecondsLeft(t, { throughput: 10 * MB, bytesDone: 50 * MB, filesDone: 50, phase: 'scanning' }, START + 10_000)).toBeNull()
    expect(taskSecondsLeft(t, { throughput: 10 * MB, bytesDone: 50 * MB, filesDone: 50, phase: 'in-progress', bytesTotal: 100 * MB, filesTotal: 100 }, START + 10_000)).toBeCloseTo(5)
    // while the holder's walk still finds items the totals are not final: a lower bound
    const live = { throughput: MB, bytesDone: 30 * MB, filesDone: 30 }
    expect(taskSecondsLeft(task({ done: 25, doneBytes: 25 * MB }), { ...live, walked: true }, START + 50_000)).toBeCloseTo(70)
    expect(isLowerBound({ ...live, walked: false })).toBe(true)
    expect(isLowerBound({ ...live, walked: true })).toBe(false)
    expect(isLowerBound(undefined)).toBe(false)
  })
  it('empty files: files alone decide', () => {
    expect(taskSecondsLeft(task({ files: 40, done: 10, bytes: 0 }), undefined, START + 20_000)).toBeCloseTo(60)
  })
})

describe('fleetSecondsLeft', () => {
  const none = () => undefined
  it('is the longest running task, or all bytes left over the fleet rate when that is longer', () => {
    const tasks = [task({ done: 25, doneBytes: 25 * MB }), task({ done: 50, doneBytes: 50 * MB }), task({ status: 'completed' }), task({ status: 'paused' })]
    // 150 s and 50 s; 125 MB left at 1 MB/s = 125 s → 150 s; at 0.5 MB/s → 250 s
    expect(fleetSecondsLeft(tasks, none, MB, START + 50_000)).toBeCloseTo(150)
    expect(fleetSecondsLeft(tasks, none, MB / 2, START + 50_000)).toBeCloseTo(250)
  })
  it('is unknown while a task to run has no measurement, and 0 when nothing is left', () => {
    expect(fleetSecondsLeft([task({ done: 25, doneBytes: 25 * MB }), task({ status: 'queued' })], none, MB, START + 50_000)).toBeNull()
    expect(fleetSecondsLeft([task({ status: 'completed' }), task({ status: 'cancelled' })], none, 0, START)).toBe(0)
    expect(fleetSecondsLeft([], none, 0, START)).toBe(0)
  })
})

describe('formatSecondsLeft', () => {
  it('says unknown for null and rounds up', () => {
    expect(formatSecondsLeft(null)).toBe('unknown')
    expect(formatSecondsLeft(0)).toBe('0s')
    expect(formatSecondsLeft(44.2)).toBe('45s')
    expect(formatSecondsLeft(200)).toBe('3m20s')
    expect(formatSecondsLeft(3900)).toBe('1h05m')
  })
})
