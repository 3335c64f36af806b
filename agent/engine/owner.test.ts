import { describe, expect, it } from 'vitest'
import { createOwnerResolver, getentPasswd } from './owner.ts'

describe('source owner', () => {
  it('names a uid as the system user database does, and null for a uid nobody has', async () => {
    expect(await getentPasswd(0)).toBe('root')
    expect(await getentPasswd(65534)).toBe('nobody')
    expect(await getentPasswd(3_999_999)).toBeNull()
  })

  it('looks each uid up once', async () => {
    const asked: number[] = []
    const resolve = createOwnerResolver(async (uid) => {
      asked.push(uid)
      return getentPasswd(uid)
    })
    const names = await Promise.all([0, 0, 65534, 0, 65534, 3_999_999, 3_999_999].map(resolve))
    expect(names).toEqual(['root', 'root', 'nobody', 'root', 'nobody', null, null])
    expect(asked).toEqual([0, 65534, 3_999_999])
  })
})
