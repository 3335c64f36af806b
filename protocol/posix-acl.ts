/**
 * The binary value of Linux's `system.posix_acl_access` extended attribute (what `getfattr --only-values`
 * prints): a little-endian u32 version (2), then 8-byte entries {tag u16, perm u16, id u32}. Decoded here,
 * with no I/O, so the format is checked by unit tests on bytes they build.
 */

export const POSIX_ACL_VERSION = 2

export const POSIX_TAG = {
  userObj: 0x01,
  user: 0x02,
  groupObj: 0x04,
  group: 0x08,
  mask: 0x10,
  other: 0x20,
} as const

export interface PosixAclEntry {
  tag: 'userObj' | 'user' | 'groupObj' | 'group' | 'mask' | 'other'
  /** r = 4, w = 2, x = 1 */
  perm: number
  /** uid or gid for `user` and `group` entries; null for the others */
  id: number | null
}

export interface PosixAcl {
  entries: PosixAclEntry[]
  /** the mask entry's permissions, or null when the ACL has none (then named entries are not limited) */
  mask: number | null
}

const TAG_NAMES = new Map<number, PosixAclEntry['tag']>(Object.entries(POSIX_TAG).map(([k, v]) => [v, k as PosixAclEntry['tag']]))

/** Decodes the attribute's bytes; throws with what is wrong when they are not a POSIX ACL. */
export function decodePosixAcl(bytes: Uint8Array): PosixAcl {
  if (bytes.length < 4 || (bytes.length - 4) % 8 !== 0) throw new Error(`not a POSIX ACL: ${bytes.length} bytes is not 4 + 8 × entries`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint32(0, true)
  if (version !== POSIX_ACL_VERSION) throw new Error(`not a POSIX ACL: version ${version}, expected ${POSIX_ACL_VERSION}`)
  const entries: PosixAclEntry[] = []
  let mask: number | null = null
  for (let off = 4; off < bytes.length; off += 8) {
    const tagCode = view.getUint16(off, true)
    const tag = TAG_NAMES.get(tagCode)
    if (!tag) throw new Error(`not a POSIX ACL: unknown entry tag 0x${tagCode.toString(16)}`)
    const perm = view.getUint16(off + 2, true) & 7
    const named = tag === 'user' || tag === 'group'
    entries.push({ tag, perm, id: named ? view.getUint32(off + 4, true) : null })
    if (tag === 'mask') mask = perm
  }
  return { entries, mask }
}

/** Builds the attribute's bytes (the inverse of decodePosixAcl): for tests and fixtures. */
export function encodePosixAcl(entries: PosixAclEntry[]): Uint8Array {
  const out = new Uint8Array(4 + entries.length * 8)
  const view = new DataView(out.buffer)
  view.setUint32(0, POSIX_ACL_VERSION, true)
  entries.forEach((e, i) => {
    const off = 4 + i * 8
    view.setUint16(off, POSIX_TAG[e.tag], true)
    view.setUint16(off + 2, e.perm, true)
    view.setUint32(off + 4, e.id ?? 0xffffffff, true)
  })
  return out
}

/** `rwx` text of a permission triple, as getfacl prints it. */
export function permText(perm: number): string {
  return `${perm & 4 ? 'r' : '-'}${perm & 2 ? 'w' : '-'}${perm & 1 ? 'x' : '-'}`
}
