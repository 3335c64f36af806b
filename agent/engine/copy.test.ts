import { describe, expect, it } from 'vitest'
import { compare } from './copy.ts'

const src = { size: 100, mtimeMs: Date.parse('2024-05-01T10:00:00Z') }
const entry = (o: Partial<{ size: number; mtimeMs: number; partial: boolean; isFolder: boolean; mtimeOnly: boolean }> = {}) => ({
  name: 'a', isFolder: false, size: 100, mtimeMs: src.mtimeMs, partial: false, ...o,
})

describe('compare (incremental rules)', () => {
  it('copies what is missing, skips what is identical within 2 s', () => {
    expect(compare(src, null, 2000)).toBe('copy-new')
    expect(compare(src, entry(), 2000)).toBe('unchanged')
    expect(compare(src, entry({ mtimeMs: src.mtimeMs + 1999 }), 2000)).toBe('unchanged')
    expect(compare(src, entry({ mtimeMs: src.mtimeMs - 1999 }), 2000)).toBe('unchanged')
  })
  it('replaces an older copy, never a newer one, always a partial one', () => {
    expect(compare(src, entry({ mtimeMs: src.mtimeMs - 2000 }), 2000)).toBe('replace')
    expect(compare(src, entry({ mtimeMs: src.mtimeMs + 2000 }), 2000)).toBe('destination-newer')
    expect(compare(src, entry({ mtimeMs: src.mtimeMs + 60_000, partial: true }), 2000)).toBe('replace')
    expect(compare(src, entry({ size: 5 }), 2000)).toBe('replace')
  })
  it('ignores size for mtime-only entries and refuses to put a file over a folder', () => {
    expect(compare(src, entry({ size: 5, mtimeOnly: true }), 2000)).toBe('unchanged')
    expect(compare(src, entry({ isFolder: true }), 2000)).toBe('conflict')
  })
})
