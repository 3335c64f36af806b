import { describe, expect, it } from 'vitest'
import { checkTags, tagsCell } from './tags.ts'

describe('tags', () => {
  it('takes a list or a ;-separated string, trims, drops empties and repeats, keeps case and order', () => {
    expect(checkTags(['Wave 1', ' finance ', 'Wave 1', ''])).toEqual({ ok: true, value: ['Wave 1', 'finance'] })
    expect(checkTags('Wave 1; HR;;wave 1')).toEqual({ ok: true, value: ['Wave 1', 'HR', 'wave 1'] })
    expect(checkTags(undefined)).toEqual({ ok: true, value: [] })
    expect(tagsCell(['a', 'b c'])).toBe('a;b c')
  })
  it('refuses what cannot be a tag, naming it', () => {
    expect(checkTags(42)).toMatchObject({ ok: false, error: expect.stringMatching(/expected a list of tags/) })
    expect(checkTags(['ok', 7])).toMatchObject({ ok: false, error: expect.stringMatching(/a tag must be text/) })
    expect(checkTags(['a\u001b[2Jb'])).toMatchObject({ ok: false, error: expect.stringMatching(/control character/) })
    expect(checkTags(['x'.repeat(101)])).toMatchObject({ ok: false, error: expect.stringMatching(/longer than 100/) })
    expect(checkTags(Array.from({ length: 51 }, (_, i) => `t${i}`))).toMatchObject({ ok: false, error: expect.stringMatching(/51 tags; at most 50/) })
  })
})
