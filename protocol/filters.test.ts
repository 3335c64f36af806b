import { describe, expect, it } from 'vitest'
import { compileFilters, type FilterItem } from './filters.ts'
import { DEFAULT_SETTINGS, type Settings } from './settings.ts'

const T = Date.parse('2024-03-01T00:00:00Z')
const base: FilterItem = { name: 'a.txt', isFolder: false, hidden: false, underHiddenFolder: false, mtimeMs: T, birthtimeMs: T }
const s = (o: Partial<Settings>): Settings => ({ ...DEFAULT_SETTINGS, ...o })

describe('compileFilters', () => {
  it('keeps everything with the defaults, zero-byte and hidden included', () => {
    const f = compileFilters(DEFAULT_SETTINGS)
    expect(f({ ...base, hidden: true }).keep).toBe(true)
    expect(f({ ...base, underHiddenFolder: true }).keep).toBe(true)
  })
  it('drops hidden files, hidden folders and what hidden folders hold', () => {
    const f = compileFilters(s({ MigrateHiddenItems: false }))
    expect(f({ ...base, hidden: true }).keep).toBe(false)
    expect(f({ ...base, isFolder: true, hidden: true }).keep).toBe(false)
    expect(f({ ...base, underHiddenFolder: true }).keep).toBe(false)
    expect(f({ ...base, isFolder: true, underHiddenFolder: true }).keep).toBe(false)
    expect(f(base).keep).toBe(true)
  })
  it('compares dates inclusively, in UTC', () => {
    const f = compileFilters(s({ MigrateItemsModifiedAfter: '2024-03-01T00:00:00.000Z' }))
    expect(f(base).keep).toBe(true)
    expect(f({ ...base, mtimeMs: T - 1 }).keep).toBe(false)
    const c = compileFilters(s({ MigrateItemsCreatedAfter: '2024-03-01T00:00:00.000Z' }))
    expect(c({ ...base, birthtimeMs: T - 1 }).keep).toBe(false)
    expect(c({ ...base, birthtimeMs: T }).keep).toBe(true)
    // unknown creation time falls back to the modified time
    expect(c({ ...base, birthtimeMs: null, mtimeMs: T - 1 }).keep).toBe(false)
  })
  it('matches the last extension, case-insensitively', () => {
    const f = compileFilters(s({ SkipFilesWithExtensions: ['txt', 'gz'] }))
    expect(f({ ...base, name: 'A.TXT' }).keep).toBe(false)
    expect(f({ ...base, name: 'a.txt.bak' }).keep).toBe(true)
    expect(f({ ...base, name: 'a.tar.gz' }).keep).toBe(false)
    expect(f({ ...base, name: 'txt' }).keep).toBe(true)
  })
  it('keeps folders whatever the file filters say', () => {
    const f = compileFilters(s({ SkipFilesWithExtensions: ['txt'], MigrateItemsModifiedAfter: '2030-01-01T00:00:00.000Z' }))
    expect(f({ ...base, isFolder: true }).keep).toBe(true)
  })
  it('combines with AND', () => {
    const f = compileFilters(s({ SkipFilesWithExtensions: ['mp3'], MigrateItemsModifiedAfter: '2024-01-01T00:00:00.000Z' }))
    expect(f({ ...base, name: 'a.mp3' }).keep).toBe(false)
    expect(f({ ...base, mtimeMs: Date.parse('2023-12-31T23:59:59Z') }).keep).toBe(false)
    expect(f(base).keep).toBe(true)
  })
})
