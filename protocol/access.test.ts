import { describe, expect, it } from 'vitest'
import { advertisedAllows, destAccessError, isWithin, normalizeAbsolute, sourceAccessError, type AccessPolicy } from './access.ts'

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

describe('advertisedAllows (the fleet-wide check at task add)', () => {
  const adv = { sourceRoots: ['/srv/shares'], mapSources: ['\\\\fs01\\dept'], destRoots: ['/data/out'] }
  const task = (source: string, url: string, library: string | null = null, folder: string | null = null) => ({ source, destination: { url, library, folder } })
  it('allows what the roots and maps cover', () => {
    expect(advertisedAllows(task('/srv/shares/a', 'file:///data/out', 'Docs', 'x/y'), adv)).toBe(true)
    expect(advertisedAllows(task('\\\\FS01\\Dept\\hr', 'https://contoso.sharepoint.com/sites/hr'), adv)).toBe(true)
  })
  it('refuses sources and file:// folders outside them', () => {
    expect(advertisedAllows(task('/etc', 'https://contoso.sharepoint.com/sites/hr'), adv)).toBe(false)
    expect(advertisedAllows(task('\\\\fs02\\dept', 'https://contoso.sharepoint.com/sites/hr'), adv)).toBe(false)
    expect(advertisedAllows(task('/srv/shares/a', 'file:///tmp/loot'), adv)).toBe(false)
    expect(advertisedAllows(task('/srv/shares/a', 'file:///data/out', '..', '../../root/.ssh'), adv)).toBe(false)
  })
})
