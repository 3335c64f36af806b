import { describe, expect, it } from 'vitest'
import { foldAgentEnabled, foldSettings, foldTaskIntent } from './intent.ts'
import { formatHlc, parseHlc, tickHlc, compareHlc } from './hlc.ts'
import type { CommandRecord } from './records.ts'
import { fakeAgentId } from '../test/fixtures/ledger-replicas.ts'

const A = fakeAgentId(1)
const B = fakeAgentId(2)
const c = (kind: CommandRecord['kind'], wallMs: number, by = A, target = 'task-1', value?: unknown): CommandRecord => ({
  v: 1,
  kind,
  by,
  target,
  hlc: formatHlc({ wallMs, counter: 0, node: by }),
  ...(value === undefined ? {} : { value }),
})

describe('foldTaskIntent', () => {
  it('is independent of the order records arrive in', () => {
    const cmds = [c('task.pause', 1), c('task.resume', 2, B), c('task.cancel', 3), c('task.rerun', 4, B), c('task.pause', 5)]
    const expected = foldTaskIntent(cmds)
    expect(expected).toMatchObject({ round: 1, paused: true, cancelled: false })
    for (let i = 0; i < 20; i++) {
      const shuffled = [...cmds].sort(() => Math.random() - 0.5)
      expect(foldTaskIntent(shuffled)).toMatchObject({ round: 1, paused: true, cancelled: false })
    }
  })
  it('a pause after a cancel leaves it cancelled', () => {
    expect(foldTaskIntent([c('task.cancel', 1), c('task.pause', 2)])).toMatchObject({ cancelled: true, paused: false })
  })
  it('archive and unarchive: the latest wins; a delete is final, whatever comes after it, in any order', () => {
    expect(foldTaskIntent([c('task.archive', 1), c('task.unarchive', 2, B)])).toMatchObject({ archived: false, deleted: false })
    expect(foldTaskIntent([c('task.unarchive', 3, B), c('task.archive', 4)])).toMatchObject({ archived: true })
    const cmds = [c('task.cancel', 1), c('task.delete', 2), c('task.rerun', 3, B), c('task.unarchive', 4, B), c('task.resume', 5)]
    for (let i = 0; i < 20; i++) {
      const shuffled = [...cmds].sort(() => Math.random() - 0.5)
      expect(foldTaskIntent(shuffled)).toMatchObject({ deleted: true, cancelled: true, round: 0 })
    }
  })
})

describe('foldAgentEnabled and foldSettings', () => {
  it('the latest enable/disable wins', () => {
    expect(foldAgentEnabled([])).toBe(true)
    expect(foldAgentEnabled([c('agent.disable', 2), c('agent.enable', 1)])).toBe(false)
  })
  it('the latest valid setting wins and invalid values from a peer are ignored', () => {
    const s = foldSettings([
      c('settings.set', 1, A, 'SkipFilesWithExtensions', 'txt:MP3'),
      c('settings.set', 2, B, 'MigrateHiddenItems', 'false'),
      c('settings.set', 3, B, 'MigrateItemsCreatedAfter', 'not a date'),
    ])
    expect(s.SkipFilesWithExtensions).toEqual(['txt', 'mp3'])
    expect(s.MigrateHiddenItems).toBe(false)
    expect(s.MigrateItemsCreatedAfter).toBeNull()
  })
})

describe('hlc', () => {
  it('round-trips and orders after what it has seen even with a clock behind', () => {
    const seen = { wallMs: 10_000, counter: 3, node: B }
    const next = tickHlc(null, seen, 5_000, A)
    expect(compareHlc(next, seen)).toBeGreaterThan(0)
    expect(parseHlc(formatHlc(next))).toEqual(next)
    expect(formatHlc(next) > formatHlc(seen)).toBe(true)
  })
})
