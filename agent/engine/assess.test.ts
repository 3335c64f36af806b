import { describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Assessor, parseAclCount, readRootFacts } from './assess.ts'
import { needTools } from '../../test/support/system-tools.ts'

const acl = needTools(['getfacl', 'setfacl'], 'sets and counts POSIX ACL entries of a source root')

describe('Assessor', () => {
  it('counts files, folders, bytes, years and the longest destination path', () => {
    const a = new Assessor()
    a.entry('folder', 0, Date.UTC(2020, 5, 1), '/dst/d')
    a.entry('file', 100, Date.UTC(2020, 0, 1), '/dst/d/a.txt')
    a.entry('file', 50, Date.UTC(2023, 11, 31, 23, 59), '/dst/d/longer-name.txt')
    a.entry('file', 7, Date.UTC(2020, 11, 31), null)
    a.entry('other', 9, 0, '/dst/a-link-that-is-skipped-and-long')
    a.readiness('ready')
    a.readiness('warning')
    const r = a.result(2)
    expect(r).toMatchObject({ round: 2, files: 3, folders: 1, dataSize: 157, maxPathLength: '/dst/d/longer-name.txt'.length, maxPath: '/dst/d/longer-name.txt', warnings: 1, errors: 0, readiness: 'Warnings' })
    expect(r.modifiedYears).toEqual({ '2020': 2, '2023': 1 })
  })
})

describe('root facts', () => {
  it('counts the access entries of getfacl output, not the default ones', () => {
    const out = '# file: /srv/x\n# owner: root\nuser::rwx\nuser:bob:r-x\ngroup::r-x\nmask::r-x\nother::---\ndefault:user::rwx\ndefault:group::r-x\n'
    expect(parseAclCount(out)).toBe(5)
    expect(parseAclCount('')).toBeNull()
  })

  it.skipIf(acl.skip)('reads the root permission entries and times of a real folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mmesh-assess-'))
    try {
      await writeFile(join(dir, 'f'), 'x')
      const { execFileSync } = await import('node:child_process')
      execFileSync('setfacl', ['-m', 'u:65534:r-x', dir])
      const facts = await readRootFacts(dir, false)
      // user::, user:65534:, group::, mask::, other::
      expect(facts.rootPermissions).toBe(5)
      expect(facts.lastAccessed).toMatch(/^\d{4}-\d\d-\d\dT/)
      const missing = await readRootFacts(join(dir, 'nope'), false)
      expect(missing).toEqual({ rootPermissions: null, lastAccessed: null, created: null })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
