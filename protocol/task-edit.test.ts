import { describe, expect, it } from 'vitest'
import { applyEdit, readTaskEdit, validateTaskEdit } from './task-edit.ts'
import { effectiveSpec, foldTaskIntent } from './intent.ts'
import { formatHlc } from './hlc.ts'
import { deriveTask } from './status.ts'
import { DEFAULT_SETTINGS } from './settings.ts'
import type { CommandRecord, TaskSpec } from './records.ts'
import { fakeAgentId } from '../test/fixtures/ledger-replicas.ts'

const A = fakeAgentId(1)
const B = fakeAgentId(2)
const edit = (wallMs: number, value: unknown, by = A): CommandRecord => ({ v: 1, kind: 'task.edit', by, target: 'task-1', hlc: formatHlc({ wallMs, counter: 0, node: by }), value })
const spec: TaskSpec = {
  v: 1,
  id: 'task-1',
  name: 'finance',
  source: '/srv/finance',
  destination: { url: 'file:///dst', library: null, folder: null },
  group: 'Default',
  settings: { MigrateHiddenItems: false, SkipFilesWithExtensions: ['tmp'] },
  startAt: '2030-01-01T00:00:00.000Z',
  tags: ['q1'],
  createdAt: '2026-12-01T00:00:00.000Z',
  createdBy: A,
}

describe('validateTaskEdit', () => {
  it('takes the setting flags, name, group, start time and tags; normalises them as task add does', () => {
    const r = validateTaskEdit({ name: ' Finance 2 ', group: 'night', startAt: '2031-02-03T04:05:06+01:00', settings: { ScanOnly: true, SkipFilesWithExtensions: 'BAK:tmp' }, tags: ['a', 'b;c'] })
    expect(r).toEqual({ ok: true, warnings: [], edit: { name: 'Finance 2', group: 'night', startAt: '2031-02-03T03:05:06.000Z', settings: { ScanOnly: true, SkipFilesWithExtensions: ['bak', 'tmp'] }, tags: ['a', 'b', 'c'] } })
    expect(validateTaskEdit({ startAt: 'now' })).toMatchObject({ ok: true, edit: { startAt: null } })
    expect(validateTaskEdit({ clearTags: true })).toMatchObject({ ok: true, edit: { tags: [] } })
    expect(validateTaskEdit({ resetSettings: true })).toMatchObject({ ok: true, edit: { resetSettings: true } })
  })
  it('refuses bad values in one line naming each, and an edit that changes nothing', () => {
    const r = validateTaskEdit({ name: '', startAt: 'tomorrow', settings: { MigrateItemsCreatedAfter: '2024-13-45' } })
    expect(r.ok).toBe(false)
    const error = (r as { error: string }).error
    expect(error).toContain('name: empty')
    expect(error).toContain('start-at: "tomorrow" is not an ISO 8601 time')
    expect(error).toContain('MigrateItemsCreatedAfter')
    expect(error.split('\n')).toHaveLength(1)
    expect(validateTaskEdit({})).toMatchObject({ ok: false, error: expect.stringContaining('nothing to change') })
    expect(validateTaskEdit({ tags: ['x'], clearTags: true })).toMatchObject({ ok: false, error: expect.stringContaining('--no-tags') })
  })
})

describe('task.edit folded over the spec', () => {
  it('later edits win field by field; settings merge over the spec unless reset; start time now removes it', () => {
    const cmds = [edit(1, { name: 'one', settings: { ScanOnly: true } }), edit(2, { group: 'night', startAt: null }, B), edit(3, { name: 'two', settings: { MigrateHiddenItems: true } })]
    for (let i = 0; i < 10; i++) {
      const shuffled = [...cmds].sort(() => Math.random() - 0.5)
      const s = effectiveSpec(spec, shuffled)
      expect(s).toMatchObject({ name: 'two', group: 'night', settings: { MigrateHiddenItems: true, SkipFilesWithExtensions: ['tmp'], ScanOnly: true } })
      expect(s.startAt).toBeUndefined()
    }
    const reset = effectiveSpec(spec, [...cmds, edit(4, { resetSettings: true, settings: { ScanOnly: false } })])
    expect(reset.settings).toEqual({ ScanOnly: false })
  })
  it('a task never edited is its spec, the same object', () => {
    expect(effectiveSpec(spec, [])).toBe(spec)
    expect(applyEdit(spec, null)).toBe(spec)
  })
  it("tags set by an edit and by task.tags: the latest wins; a peer's invalid edit is ignored whole", () => {
    const tagsCmd: CommandRecord = { v: 1, kind: 'task.tags', by: B, target: 'task-1', hlc: formatHlc({ wallMs: 2, counter: 0, node: B }), value: ['csv'] }
    expect(foldTaskIntent([edit(1, { tags: ['e'] }), tagsCmd]).tags).toEqual(['csv'])
    expect(foldTaskIntent([tagsCmd, edit(3, { tags: [] })]).tags).toEqual([])
    expect(readTaskEdit({ name: 'ok', settings: { ScanOnly: 'maybe' } })).toBeNull()
    expect(readTaskEdit({ name: 'x'.repeat(300) })).toBeNull()
    expect(readTaskEdit('rename')).toBeNull()
    expect(effectiveSpec(spec, [edit(1, { name: 'bad', group: '' })])).toMatchObject({ name: 'finance', group: 'Default' })
  })
  it('the view shows the edited name, group, settings and tags, and the timeline names the edit', () => {
    const v = deriveTask({ spec, commands: [edit(Date.parse('2026-12-02T00:00:00Z'), { name: 'renamed', group: 'night', settings: { ScanOnly: true }, tags: ['z'] })], claims: [], outcomes: [] }, DEFAULT_SETTINGS, Date.parse('2026-12-03T00:00:00Z'))
    expect(v).toMatchObject({ name: 'renamed', group: 'night', tags: ['z'], status: 'scheduled', overrides: { ScanOnly: true, MigrateHiddenItems: false } })
    expect(v.settings.ScanOnly).toBe(true)
    expect(v.timeline.map((t) => t.what)).toContain('edited: name, group, settings, tags')
  })
})
