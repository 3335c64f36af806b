import { describe, expect, it } from 'vitest'
import { destAccessError, isWithin, normalizeAbsolute, sourceAccessError, type AccessPolicy } from './access.ts'

const policy: AccessPolicy = { sourceRoots: ['/srv/shares', '/mnt/fs01'], destRoots: ['/data/out'], dataDir: '/var/lib/mmesh' }

describe('access policy', () => {
  it('compares whole segments', () => {
    expect(isWithin('/srv/a', '/srv/a')).toBe(true)
    expect(isWithin('/srv/a', '/srv/a/b')).toBe(true)
    expect(isWithin('/srv/a', '/srv/ab')).toBe(false)
    expect(isWithin('/', '/etc')).toBe(true)
  })

  it('normalises absolute paths and refuses relative ones and climbing segments', () => {
    expect(normalizeAbsolute('/srv//a/')).toBe('/srv/a')
    expect(normalizeAbsolute('srv/a')).toBeNull()
    expect(normalizeAbsolute('/srv/a/../../etc')).toBeNull()
    expect(normalizeAbsolute('/srv/./a')).toBeNull()
  })

  it('lets a source under a root through and names the fix for one outside', () => {
    expect(sourceAccessError('/srv/shares/finance', policy)).toBeNull()
    expect(sourceAccessError('/etc', policy)).toMatch(/outside this agent's source roots \(\/srv\/shares, \/mnt\/fs01\): add --source-root/)
    expect(sourceAccessError('/srv/shares/../../etc', policy)).toMatch(/not an absolute path without/)
  })

  it('never allows the data dir, nor a source or destination that holds it, whatever the roots', () => {
    const wide: AccessPolicy = { sourceRoots: ['/'], destRoots: ['/'], dataDir: '/var/lib/mmesh' }
    expect(sourceAccessError('/var/lib/mmesh', wide)).toMatch(/own data dir/)
    expect(sourceAccessError('/var/lib/mmesh/db', wide)).toMatch(/own data dir/)
    expect(sourceAccessError('/var/lib', wide)).toMatch(/holds it/)
    expect(destAccessError('/var/lib/mmesh/loot', wide)).toMatch(/own data dir/)
    expect(sourceAccessError('/var/lib/other', wide)).toBeNull()
  })

  it('runs no local or file:// task without roots, and says which flag to give', () => {
    const none: AccessPolicy = { sourceRoots: [], destRoots: [], dataDir: '/d' }
    expect(sourceAccessError('/srv/x', none)).toMatch(/no source root: start it with --source-root/)
    expect(destAccessError('/out', none)).toMatch(/no dest root: start it with --dest-root/)
  })

  it('keeps file:// writes under the dest roots', () => {
    expect(destAccessError('/data/out/site/Documents', policy)).toBeNull()
    expect(destAccessError('/root/.ssh', policy)).toMatch(/outside this agent's dest roots/)
  })
})
