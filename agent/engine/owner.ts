/**
 * The source owner of a file, named as Migration Manager's user-mapping file names it (column A, a login
 * name such as `CONTOSO\jdoe`): the name of the file's owning uid in the system's user database. On a
 * domain-joined Linux VM, `getent passwd` goes through winbind or sssd, and a share mounted with `cifsacl`
 * shows each file's real owner, so the names are the domain's. On a mount without `cifsacl` every file has
 * the mount's uid; its name is then not in the mapping file and the destination keeps its default author.
 * Windows agents (owner from the ACL) are not supported yet: null.
 */
import { execFile } from 'node:child_process'

export type OwnerLookup = (uid: number) => Promise<string | null>

/** Resolves uids to names, one lookup per uid for the life of the resolver. */
export function createOwnerResolver(lookup: OwnerLookup = getentPasswd): OwnerLookup {
  const cache = new Map<number, Promise<string | null>>()
  return (uid) => {
    if (process.platform === 'win32' || !Number.isInteger(uid) || uid < 0) return Promise.resolve(null)
    let hit = cache.get(uid)
    if (!hit) {
      hit = lookup(uid).catch(() => null)
      cache.set(uid, hit)
    }
    return hit
  }
}

/** `getent passwd UID` → the login name, or null (unknown uid, no getent, a timeout). */
export function getentPasswd(uid: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('getent', ['passwd', String(uid)], { timeout: 5000 }, (err, stdout) => {
      if (err) return resolve(null)
      const name = stdout.split('\n')[0]?.split(':')[0]?.trim()
      resolve(name ? name : null)
    })
  })
}
