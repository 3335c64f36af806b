import { describe, expect, it } from 'vitest'
import { localSourcePath, mapSourcePath } from './source-map.ts'

const maps = [
  { source: '\\\\fs01\\dept', local: '/mnt/fs01/dept' },
  { source: '\\\\fs01\\dept\\hr', local: '/mnt/hr' },
]

describe('mapSourcePath', () => {
  it('maps on whole segments, case-insensitively, either slash, longest prefix first', () => {
    expect(mapSourcePath('\\\\FS01\\Dept\\finance\\2024', maps)).toBe('/mnt/fs01/dept/finance/2024')
    expect(mapSourcePath('//fs01/dept/hr/people', maps)).toBe('/mnt/hr/people')
    expect(mapSourcePath('\\\\fs01\\dept', maps)).toBe('/mnt/fs01/dept')
    expect(mapSourcePath('\\\\fs01\\department', maps)).toBeNull()
    expect(mapSourcePath('\\\\fs02\\dept', maps)).toBeNull()
  })
})

describe('localSourcePath', () => {
  it('reads absolute POSIX paths directly and refuses unmapped UNC paths with the fix', () => {
    expect(localSourcePath('/srv/share', [], 'posix')).toEqual({ ok: true, path: '/srv/share' })
    const r = localSourcePath('\\\\fs09\\x', maps, 'posix')
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/--map/)
    expect(localSourcePath('C:\\data', [], 'posix').ok).toBe(false)
  })
})
