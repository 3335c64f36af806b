/**
 * The engine's permission step in a round, on a real share with POSIX ACLs (setfacl), a real file://
 * destination and a real item store: a scan-only round lists the folders with their own permissions
 * (a warning for what is not carried) and writes nothing. (A migration round, to SharePoint and to file://,
 * is in test/permissions/preserve-permissions.test.ts.) Needs setfacl (acl) and getfattr (attr).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createFileDestination } from '../../agent/destinations/file.ts'
import { runTaskRound } from '../../agent/engine/round.ts'
import { needTools } from '../support/system-tools.ts'
import { cleanup, makeDeps, makeJob, openDb, recordsByRel, tempDir } from './helpers.ts'

const tools = needTools(['setfacl', 'getfattr'], 'sets POSIX ACLs on the test share')
const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await cleanup(d)
})

async function share(): Promise<string> {
  const root = await tempDir('mmesh-perm-src-')
  dirs.push(root)
  for (const d of ['open', 'closed/inner']) fs.mkdirSync(path.join(root, d), { recursive: true })
  fs.writeFileSync(path.join(root, 'closed', 'x.txt'), 'x\n')
  execFileSync('setfacl', ['-m', 'u:daemon:rx,u:sys:w', '--', path.join(root, 'closed')])
  execFileSync('setfacl', ['-m', 'u:daemon:rx,u:sys:w', '--', path.join(root, 'closed', 'inner')])
  return root
}

describe.skipIf(tools.skip)('permissions in an engine round', () => {
  it('a scan-only round reports the folders with their own permissions and what is not carried', async () => {
    const src = await share()
    const dest = await tempDir('mmesh-perm-dst-')
    dirs.push(dest)
    const { items, close } = await openDb(await tempDir('mmesh-perm-db-'))
    try {
      const job = makeJob(src, { ScanOnly: true, PreserveUserPermissionsForFileShare: true })
      const { deps } = makeDeps(createFileDestination({ rootDir: dest, library: null, folder: null, fsync: false }), items)
      const result = await runTaskRound(job, deps)
      expect(result.phase).toBe('completed')
      // the principals of the entries carried, for usermap check; sys's write-only entry maps to no role
      expect(result.principals).toEqual({ list: [{ login: 'daemon', group: false }], truncated: false })
      const recs = await recordsByRel(items, job)
      const closed = recs.get('closed')!
      expect(closed.status).toBe('Scanned')
      expect(closed.message).toBe('own permissions at the source: daemon (Read); not carried: special: sys (-w-)')
      expect(closed.readiness).toBe('warning')
      // same as its parent: nothing to say, beyond what is not carried
      expect(recs.get('closed/inner')!.message).toBe('not carried: special: sys (-w-)')
      expect(recs.get('open')!.message).toBe('')
      expect(recs.get('open')!.readiness).toBe('ready')
      expect(fs.readdirSync(dest)).toEqual([])
      // without the setting the round reads no permissions, and says so by naming no principals at all
      const plain = await runTaskRound(makeJob(src, { ScanOnly: true }, 1), deps)
      expect(plain.phase).toBe('completed')
      expect(plain.principals).toBeUndefined()
    } finally {
      await close()
    }
  })
})
