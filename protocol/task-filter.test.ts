import { describe, expect, it } from 'vitest'
import type { TaskJson } from './views.ts'
import { filterProblem, filterTasks, parseFilterText } from './task-filter.ts'

function task(id: string, over: Partial<TaskJson>): TaskJson {
  return {
    id, name: id, source: `/shares/${id}`, destination: { url: 'file:///dest', library: 'Documents', folder: id }, group: 'Default',
    status: 'queued', agent: null, round: 0, counts: { scanned: 0, toMigrate: 0, migrated: 0, unchanged: 0, skipped: 0, failed: 0 },
    bytes: { total: 0, migrated: 0 }, createdAt: '2026-12-01T00:00:00.000Z', startedAt: null, finishedAt: null, failureReason: null, waitingReason: null, archived: false, tags: [], startAt: null,
    ...over,
  }
}

const tasks = [
  task('a1', { status: 'completed', agent: 'peerA', group: 'Finance', name: 'Finance Q1' }),
  task('b2', { status: 'failed', agent: 'peerB' }),
  task('c3', { status: 'queued', source: '\\\\fs01\\HR\\Payroll' }),
  task('d4', { status: 'completed', agent: 'peerB', group: 'finance' }),
  task('e5', { status: 'completed', archived: true, tags: ['Wave 1'] }),
  task('f6', { tags: ['Wave 1', 'HR'] }),
  task('g7', { tags: ['wave 1'] }),
]

describe('task list filters', () => {
  it('filters by status (any of several), group (case-insensitive), agent id or name, and text; combined with AND', () => {
    expect(filterTasks(tasks, { status: ['completed'] }).map((t) => t.id)).toEqual(['a1', 'd4'])
    expect(filterTasks(tasks, { status: ['completed', 'failed'] }).map((t) => t.id)).toEqual(['a1', 'b2', 'd4'])
    expect(filterTasks(tasks, { group: 'FINANCE' }).map((t) => t.id)).toEqual(['a1', 'd4'])
    expect(filterTasks(tasks, { agent: 'peerB' }).map((t) => t.id)).toEqual(['b2', 'd4'])
    expect(filterTasks(tasks, { agent: 'vm-02' }, new Map([['peerB', 'vm-02']])).map((t) => t.id)).toEqual(['b2', 'd4'])
    expect(filterTasks(tasks, { search: 'payroll' }).map((t) => t.id)).toEqual(['c3'])
    expect(filterTasks(tasks, { search: 'q1' }).map((t) => t.id)).toEqual(['a1'])
    expect(filterTasks(tasks, { status: ['completed'], agent: 'peerB', group: 'finance' }).map((t) => t.id)).toEqual(['d4'])
    expect(filterTasks(tasks, {}).length).toBe(6)
    // tags: exact and case-sensitive; several: all of them
    expect(filterTasks(tasks, { tag: ['Wave 1'] }).map((t) => t.id)).toEqual(['f6'])
    expect(filterTasks(tasks, { tag: ['Wave 1', 'HR'] }).map((t) => t.id)).toEqual(['f6'])
    expect(filterTasks(tasks, { tag: ['Wave 1'], archived: true }).map((t) => t.id)).toEqual(['e5'])
    // archived tasks only when asked for, and then only they
    expect(filterTasks(tasks, { archived: true }).map((t) => t.id)).toEqual(['e5'])
    expect(filterTasks(tasks, { archived: true, status: ['completed'] }).map((t) => t.id)).toEqual(['e5'])
  })

  it('names a status that does not exist, and the ones that do', () => {
    expect(filterProblem({ status: ['done'] })).toMatch(/--status "done": not a status; use one of scheduled, queued, scanning, in-progress/)
    expect(filterProblem({ status: ['in-progress'] })).toBeNull()
  })

  it("reads the fleet view's filter line as the same filters: status:, tag:, agent:, group:, archived, other words searched", () => {
    const names = new Map([['peerB', 'vm-02']])
    const pick = (text: string) => filterTasks(tasks, parseFilterText(text).filter, names).map((t) => t.id)
    expect(parseFilterText('status:fail tag:"Wave 1" Agent:vm-02 group:eu archived payroll')).toEqual({
      filter: { status: ['failed'], tag: ['Wave 1'], agent: 'vm-02', group: 'eu', archived: true, search: ['payroll'] },
      unknown: [],
    })
    expect(pick('status:completed')).toEqual(filterTasks(tasks, { status: ['completed'] }).map((t) => t.id))
    expect(pick('group:FINANCE agent:VM-02')).toEqual(['d4'])
    expect(pick('tag:"Wave 1"')).toEqual(['f6'])
    expect(pick('tag:"wave 1"')).toEqual(['g7'])
    expect(pick('is:archived tag:"Wave 1"')).toEqual(['e5'])
    expect(pick('finance q1')).toEqual(['a1'])
    expect(pick('search:"hr\\payroll"')).toEqual(['c3'])
    expect(parseFilterText('status:bogus').unknown).toEqual(['status:bogus'])
  })
})
