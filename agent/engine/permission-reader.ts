/**
 * Reading a source item's explicit permissions, behind one interface so other sources (a Windows agent
 * reading NTFS directly, another kind of share) can follow. On Linux: the POSIX ACL's named users and
 * groups (`system.posix_acl_access`), or on a CIFS mount with `cifsacl` the share's own NTFS DACL
 * (`system.cifs_acl`). Node has no xattr API: `getfattr` (the attr package) reads the raw value, run
 * without a shell and with `--` before the path, so no name can become an option or a command.
 */
import { execFile } from 'node:child_process'
import { decodePosixAcl } from '../../protocol/posix-acl.ts'
import { parseSecurityDescriptor } from '../../protocol/ntfs-acl.ts'
import { NO_PERMISSIONS, fromNtfsDacl, fromPosixAcl, type ItemPermissions } from '../../protocol/permissions.ts'
import { getentPasswd } from './owner.ts'

export interface PermissionReader {
  /** The item's own permissions (NO_PERMISSIONS when it has none); throws when they cannot be read. */
  read(localPath: string): Promise<ItemPermissions>
}

/** An extended attribute's raw value; null when the item does not have it. */
export type XattrRead = (localPath: string, name: string) => Promise<Buffer | null>

export type IdLookup = (kind: 'user' | 'group', id: number) => Promise<string | null>

export const POSIX_ACL_XATTR = 'system.posix_acl_access'
export const CIFS_ACL_XATTR = 'system.cifs_acl'

export function createPermissionReader(opts: { cifs: boolean; xattr?: XattrRead; lookup?: IdLookup }): PermissionReader {
  const xattr = opts.xattr ?? getfattr
  const names = createIdNames(opts.lookup ?? getentName)
  return {
    async read(localPath) {
      if (opts.cifs) {
        const sd = await xattr(localPath, CIFS_ACL_XATTR)
        return sd ? fromNtfsDacl(parseSecurityDescriptor(sd)) : NO_PERMISSIONS
      }
      const raw = await xattr(localPath, POSIX_ACL_XATTR)
      if (!raw) return NO_PERMISSIONS
      const acl = decodePosixAcl(raw)
      const ids = acl.entries.filter((e) => (e.tag === 'user' || e.tag === 'group') && e.id !== null)
      const resolved = new Map<string, string>()
      await Promise.all(ids.map(async (e) => {
        const kind = e.tag === 'user' ? 'user' : 'group'
        resolved.set(`${kind}:${e.id}`, await names(kind, e.id!))
      }))
      return fromPosixAcl(acl, (kind, id) => resolved.get(`${kind}:${id}`) ?? `${kind === 'user' ? 'uid' : 'gid'} ${id}`)
    },
  }
}

/** Names by id, looked up once each for the life of the reader; an id without a name is `uid N` / `gid N`. */
function createIdNames(lookup: IdLookup): (kind: 'user' | 'group', id: number) => Promise<string> {
  const cache = new Map<string, Promise<string>>()
  return (kind, id) => {
    const k = `${kind}:${id}`
    let hit = cache.get(k)
    if (!hit) {
      hit = lookup(kind, id).catch(() => null).then((n) => n ?? `${kind === 'user' ? 'uid' : 'gid'} ${id}`)
      cache.set(k, hit)
    }
    return hit
  }
}

/** `getent passwd|group ID` → the name (winbind or sssd give the domain's names on a joined VM). */
export function getentName(kind: 'user' | 'group', id: number): Promise<string | null> {
  if (kind === 'user') return getentPasswd(id)
  return new Promise((resolve) => {
    execFile('getent', ['group', String(id)], { timeout: 5000 }, (err, stdout) => {
      if (err) return resolve(null)
      const name = stdout.split('\n')[0]?.split(':')[0]?.trim()
      resolve(name ? name : null)
    })
  })
}

/**
 * `getfattr --only-values` prints the raw value. Exit 1 with "No such attribute" means the item has none
 * (no ACL beyond its mode bits); other failures (gone, unreadable, no getfattr) throw with the reason.
 */
export function getfattr(localPath: string, name: string): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    execFile(
      'getfattr',
      ['--only-values', '--absolute-names', '-h', '-n', name, '--', localPath],
      { encoding: 'buffer', timeout: 30_000, maxBuffer: 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout)
        const text = stderr.toString('utf8')
        if (/No such attribute|Operation not supported|No data available/i.test(text)) return resolve(null)
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ENOENT') return reject(new Error('getfattr is not installed (the attr package): permissions cannot be read'))
        reject(new Error(text.trim().split('\n')[0] || err.message))
      },
    )
  })
}
