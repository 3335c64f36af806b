import { describe, expect, it } from 'vitest'
import { compileFilters } from '../../protocol/filters.ts'
import { DEFAULT_SETTINGS } from '../../protocol/settings.ts'
import { decideFolder, type FolderContext } from './decide.ts'
import type { SourceEntry } from './scan.ts'

const ctx: FolderContext = { destRel: 'docs', atRoot: false, underHidden: false, state: 'ok', blockedBy: null }
const file = (name: string): SourceEntry => ({ name, localPath: `/share/docs/${name}`, kind: 'file', special: null, size: 1, mtimeMs: 0, birthtimeMs: null, uid: null, dev: 1, ino: 1, hidden: false, error: null })
const decide = (names: string[]) => decideFolder(ctx, names.map(file), compileFilters(DEFAULT_SETTINGS), true, (rel) => `file:///dest/${rel}`)

describe('decideFolder collisions', () => {
  it('keeps the name that lands unchanged, then the first by code units, whatever the listing order', () => {
    // "a:b" lands as "a_b" (renamed), "A_B" and "a_b" collide by case: names that land unchanged come
    // first, then by UTF-16 code units ("A" < "a"), so "A_B" is kept and the other two fail.
    for (const names of [['a:b', 'A_B', 'a_b', 'c'], ['c', 'a_b', 'A_B', 'a:b'], ['A_B', 'a:b', 'c', 'a_b']]) {
      const byName = new Map(decide(names).map((d) => [d.entry.name, d]))
      expect(byName.get('A_B')!.kind).toBe('migrate')
      expect(byName.get('c')!.kind).toBe('migrate')
      expect(byName.get('a:b')!.kind).toBe('fail')
      expect(byName.get('a_b')!.kind).toBe('fail')
      for (const loser of ['a:b', 'a_b']) expect(byName.get(loser)!.kind === 'fail' && byName.get(loser)!.message).toContain('"A_B" was kept')
    }
  })

  it('answers one decision per entry, in the listing order, when nothing collides', () => {
    const names = ['z', 'b', 'a', 'y:1']
    const out = decide(names)
    expect(out.map((d) => d.entry.name)).toEqual(names)
    expect(out.map((d) => d.kind)).toEqual(['migrate', 'migrate', 'migrate', 'migrate'])
    expect(out.map((d) => d.destRel)).toEqual(['docs/z', 'docs/b', 'docs/a', 'docs/y_1'])
  })
})
