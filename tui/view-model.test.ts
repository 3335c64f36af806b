import { describe, expect, it } from 'vitest'
import { DemoFleet } from '../test/support/demo-fleet.ts'
import { SORT_KEYS, filterOrder, fleetTotals, moveCursor, parseFilter, scrollTop, sortOrder, taskProgress, type SortSpec } from './view-model.ts'
import { bar, cell, cellTail, formatBytes, formatDuration, sparkline } from './format.ts'
import type { TaskView } from '../protocol/views.ts'

const RANK = ['in-progress', 'scanning', 'failed', 'paused', 'queued', 'completed', 'cancelled']

/** The order spelled out with a plain comparator, to check the packed numeric sort against. */
function reference(tasks: readonly TaskView[], snapshotLive: Record<string, never>, names: Map<string, string>, sort: SortSpec): number[] {
  const created = (t: TaskView): number => Date.parse(t.createdAt)
  const name = (t: TaskView): string => t.name.toLowerCase()
  const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
  const tie = (a: number, b: number): number => created(tasks[a]!) - created(tasks[b]!) || cmpStr(name(tasks[a]!), name(tasks[b]!)) || a - b
  const prim = (i: number): number | string => {
    const t = tasks[i]!
    switch (sort.key) {
      case 'status':
        return RANK.indexOf(t.status)
      case 'agent':
        return (t.agent ? (names.get(t.agent) ?? t.agent) : '\uffff').toLowerCase()
      case 'progress':
        return Math.round(taskProgress(t, snapshotLive[t.id]).fraction * 1e6)
      case 'throughput':
        return 0
      case 'name':
        return name(t)
      case 'created':
        return created(t)
    }
  }
  const idx = tasks.map((_, i) => i)
  if (sort.key === 'created') return idx.sort((a, b) => (sort.desc ? -1 : 1) * tie(a, b))
  return idx.sort((a, b) => {
    const x = prim(a)
    const y = prim(b)
    const c = typeof x === 'string' ? cmpStr(x, y as string) : x - (y as number)
    return (sort.desc ? -c : c) || tie(a, b)
  })
}

describe('view model', () => {
  it('sorts by every key both ways exactly like a plain comparator, ties in creation order', () => {
    const fleet = new DemoFleet({ agents: 7, tasks: 3000 })
    // Shuffle creation times and repeat some names so ties and tie-breaks are exercised.
    fleet.update((s) => ({
      tasks: s.tasks.map((t, i) => ({ ...t, name: i % 5 === 0 ? 'Same' : t.name, createdAt: new Date(Date.parse(s.at) - ((i * 7919) % 997) * 1000).toISOString() })),
    }))
    const snap = fleet.getSnapshot()
    const names = new Map(snap.agents.map((a) => [a.id, a.name]))
    for (const key of SORT_KEYS) {
      for (const desc of [false, true]) {
        const got = Array.from(sortOrder(snap.tasks, snap.live, names, { key, desc }))
        if (key === 'throughput') {
          expect(got.slice().sort((a, b) => a - b)).toEqual(snap.tasks.map((_, i) => i))
          continue
        }
        expect(got, `${key} ${desc ? 'desc' : 'asc'}`).toEqual(reference(snap.tasks, {}, names, { key, desc }))
      }
    }
  })

  it('re-sorts correctly when only statuses change (the cached creation order is reused)', () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 500 })
    const names = new Map<string, string>()
    sortOrder(fleet.getSnapshot().tasks, {}, names, { key: 'status', desc: false })
    const id = fleet.getSnapshot().tasks[0]!.id
    fleet.patchTask(id, { status: 'in-progress' })
    fleet.patchTask(fleet.getSnapshot().tasks[499]!.id, { status: 'cancelled' })
    const snap = fleet.getSnapshot()
    expect(Array.from(sortOrder(snap.tasks, {}, names, { key: 'status', desc: false }))).toEqual(reference(snap.tasks, {}, names, { key: 'status', desc: false }))
  })

  it('filters by words (all must match), by status: prefix, by agent:, and by the f status, keeping order', () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 200 })
    const snap = fleet.getSnapshot()
    const names = new Map(snap.agents.map((a) => [a.id, a.name]))
    const order = sortOrder(snap.tasks, snap.live, names, { key: 'name', desc: false })
    const pick = (text: string, status: TaskView['status'] | null = null): TaskView[] => Array.from(filterOrder(order, snap.tasks, names, { text, status })).map((i) => snap.tasks[i]!)
    expect(pick('share-0001').map((t) => t.name)).toEqual(Array.from({ length: 10 }, (_, i) => `share-000${10 + i}`))
    expect(pick('SHARE-0001 dept1').every((t) => t.source.includes('dept1'))).toBe(true)
    const failed = pick('status:fail')
    expect(failed.length).toBe(snap.tasks.filter((t) => t.status === 'failed').length)
    expect(pick('is:in').every((t) => t.status === 'in-progress')).toBe(true)
    expect(pick('agent:vm-02').every((t) => names.get(t.agent!) === 'vm-02')).toBe(true)
    expect(pick('agent:vm-02').length).toBeGreaterThan(0)
    expect(pick('', 'paused').every((t) => t.status === 'paused')).toBe(true)
    expect(parseFilter({ text: 'status:bogus x', status: null }).unknown).toEqual(['status:bogus'])
    expect(filterOrder(order, snap.tasks, names, { text: '  ', status: null })).toBe(order)
  })

  it('totals tasks by status, files and bytes (live numbers while running), rate and ETA', () => {
    const fleet = new DemoFleet({ agents: 2, tasks: 0 })
    fleet.update((s) => ({
      tasks: [
        { ...(s.tasks[0] as TaskView), ...baseTask('a', 'in-progress', 100, 1000, 20, 200) },
        { ...baseTask('b', 'completed', 50, 50, 500, 500) },
        { ...baseTask('c', 'cancelled', 0, 10, 0, 1000) },
      ] as TaskView[],
      live: { a: { taskId: 'a', agent: 'x', throughput: 100, bytesDone: 300, filesDone: 30 } },
    }))
    const t = fleetTotals(fleet.getSnapshot())
    expect(t.byStatus['in-progress']).toBe(1)
    expect(t.byStatus.completed).toBe(1)
    expect(t.byStatus.cancelled).toBe(1)
    expect(t.filesDone).toBe(30 + 500) // live files of a, all of b; cancelled not counted
    expect(t.bytesDone).toBe(300 + 50)
    expect(t.bytesTotal).toBe(1000 + 50)
    expect(t.throughput).toBe(100)
    // 700 bytes left at 100 B/s is 7 s, but 170 files left at the 10 files/s that rate makes at the files'
    // size so far (300 B for 30 files) is 17 s: the larger (protocol/time-left.ts)
    expect(t.etaSeconds).toBe(17)
  })

  it('keeps the cursor on screen with the least scrolling, and moves by row, page and to the ends', () => {
    expect(scrollTop(0, 5, 10, 100)).toBe(0)
    expect(scrollTop(0, 10, 10, 100)).toBe(1)
    expect(scrollTop(50, 40, 10, 100)).toBe(40)
    expect(scrollTop(95, 99, 10, 100)).toBe(90)
    const k = { upArrow: false, downArrow: false, pageUp: false, pageDown: false, home: false, end: false }
    expect(moveCursor(0, 100, 10, 'j', k)).toBe(1)
    expect(moveCursor(0, 100, 10, 'k', k)).toBe(0)
    expect(moveCursor(5, 100, 10, '', { ...k, pageDown: true })).toBe(15)
    expect(moveCursor(5, 100, 10, 'G', k)).toBe(99)
    expect(moveCursor(5, 100, 10, 'x', k)).toBeNull()
  })

  it('formats cells to their exact width', () => {
    expect(cell('abcdef', 4)).toBe('abc…')
    expect(cell('ab', 4)).toBe('ab  ')
    expect(cell('ab', 4, true)).toBe('  ab')
    expect(cell('a\u001b[2Jb', 12)).toBe('a\\x1b[2Jb   ') // control characters from peer data cannot move the cursor
    expect(cellTail('\\\\srv\\share\\deep\\folder', 10)).toBe('…ep\\folder')
    expect(bar(0.5, 10)).toBe('█████░░░░░')
    expect(sparkline([0, 1, 2, 4, 8], 5)).toBe(' ▁▂▄█')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatDuration(3725)).toBe('1h02m')
  })
})

function baseTask(id: string, status: TaskView['status'], bytesDone: number, bytesTotal: number, filesDone: number, filesTotal: number): Partial<TaskView> {
  return {
    id,
    name: id,
    status,
    createdAt: '2024-05-01T08:00:00.000Z',
    counts: { scanned: filesTotal, toMigrate: filesTotal, migrated: filesDone, unchanged: 0, skipped: 0, failed: 0 },
    bytes: { total: bytesTotal, migrated: bytesDone },
    agent: null,
  }
}
