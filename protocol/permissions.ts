/**
 * "Preserve file share permissions": a source item's explicit permissions, mapped to SharePoint roles as
 * Migration Manager maps a share's ACL — Read → Read, Write → Contribute, Full control → Full Control.
 * For POSIX ACLs (named users and groups, limited by the mask) r → Read, rw → Contribute, rwx → Full
 * Control; `r-x` is Read (x on a folder only lets one pass through). Deny entries and anything else
 * (write without read, audit or object entries, entries for the children only) are not carried: they are
 * listed so the item report can say so. Pure: the agent reads the attributes and names the ids.
 */
import { ACCESS, ACE_INHERITED, ACE_INHERIT_ONLY, type NtfsDacl } from './ntfs-acl.ts'
import { permText, type PosixAcl } from './posix-acl.ts'
import type { SourcePrincipal } from './records.ts'

export const SP_ROLES = ['Read', 'Contribute', 'Full Control'] as const
export type SpRole = (typeof SP_ROLES)[number]

export interface Grant {
  /** the source principal as the user-mapping file names it (login, group name or SID) */
  principal: string
  /** true for a group, false for a user, null when the source does not say (a SID) */
  group: boolean | null
  role: SpRole
}

export interface ItemPermissions {
  /** one per principal (its highest role), sorted: equal permissions give equal arrays */
  grants: Grant[]
  /** what the source has and the destination will not: "deny: bob (rwx)", "special: eve (-w-)" */
  notCarried: string[]
}

export const NO_PERMISSIONS: ItemPermissions = { grants: [], notCarried: [] }

/** The resolved name of a uid or gid; `uid 1234` when the system has no name for it. */
export type IdNamer = (kind: 'user' | 'group', id: number) => string

export function posixRole(perm: number): SpRole | null {
  if ((perm & 7) === 7) return 'Full Control'
  if ((perm & 6) === 6) return 'Contribute'
  if (perm & 4) return 'Read'
  return null
}

/** The named-user and named-group entries of an access ACL (owner, owning group and other are not explicit). */
export function fromPosixAcl(acl: PosixAcl, nameOf: IdNamer): ItemPermissions {
  const grants: Grant[] = []
  const notCarried: string[] = []
  const limit = acl.mask ?? 7
  for (const e of acl.entries) {
    if ((e.tag !== 'user' && e.tag !== 'group') || e.id === null) continue
    const principal = nameOf(e.tag, e.id)
    const effective = e.perm & limit
    const role = posixRole(effective)
    if (role) grants.push({ principal, group: e.tag === 'group', role })
    else if (effective !== 0 || e.perm !== 0) notCarried.push(`special: ${e.tag === 'group' ? 'group ' : ''}${principal} (${permText(effective)})`)
  }
  return normalise(grants, notCarried)
}

export function ntfsRole(mask: number): SpRole | null {
  if (mask & ACCESS.genericAll || (mask & ACCESS.fullFile) === ACCESS.fullFile) return 'Full Control'
  if (mask & (ACCESS.writeData | ACCESS.genericWrite)) return 'Contribute'
  if (mask & (ACCESS.readData | ACCESS.genericRead)) return 'Read'
  return null
}

/** The entries set on the item itself (not inherited); deny and special entries are listed, not carried. */
export function fromNtfsDacl(dacl: NtfsDacl): ItemPermissions {
  if (!dacl.aces) return NO_PERMISSIONS
  const grants: Grant[] = []
  const notCarried: string[] = []
  for (const a of dacl.aces) {
    if (a.flags & ACE_INHERITED) continue
    const hex = `0x${a.mask.toString(16)}`
    if (a.type === 'deny') notCarried.push(`deny: ${a.sid} (${hex})`)
    else if (a.type === 'other') notCarried.push(`special: ACE type ${a.typeCode}`)
    else if (a.flags & ACE_INHERIT_ONLY) notCarried.push(`special: ${a.sid} (${hex}, for what it holds only)`)
    else {
      const role = ntfsRole(a.mask)
      if (role) grants.push({ principal: a.sid, group: null, role })
      else notCarried.push(`special: ${a.sid} (${hex})`)
    }
  }
  return normalise(grants, notCarried)
}

const RANK: Record<SpRole, number> = { Read: 1, Contribute: 2, 'Full Control': 3 }

function normalise(grants: Grant[], notCarried: string[]): ItemPermissions {
  const best = new Map<string, Grant>()
  for (const g of grants) {
    const k = `${g.group === true ? 'g' : 'u'}:${g.principal.toLowerCase()}`
    const had = best.get(k)
    if (!had || RANK[g.role] > RANK[had.role]) best.set(k, g)
  }
  const sorted = [...best.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g)
  return { grants: sorted, notCarried: [...notCarried].sort() }
}

/** Same grants (principal and role): such an item keeps inheriting from its parent. */
export function sameGrants(a: readonly Grant[], b: readonly Grant[]): boolean {
  if (a.length !== b.length) return false
  return a.every((g, i) => {
    const h = b[i]!
    return g.principal.toLowerCase() === h.principal.toLowerCase() && g.group === h.group && g.role === h.role
  })
}

export function describeGrant(g: Grant): string {
  return `${g.group === true ? 'group ' : ''}${g.principal} (${g.role})`
}

export function describeGrants(grants: readonly Grant[]): string {
  return grants.map(describeGrant).join(', ')
}

/** The marker the item report uses for principals that could not be granted: counted in ItemSummary. */
export const UNMAPPED_MARKER = 'unmapped principals, not granted: '

/** How many principals an item report message names after the unmapped marker (0 when none). */
export function unmappedCount(message: string): number {
  const at = message.indexOf(UNMAPPED_MARKER)
  if (at < 0) return 0
  const rest = message.slice(at + UNMAPPED_MARKER.length).split(';')[0] ?? ''
  // each principal is "name (Role)": count the roles, since names may hold commas
  return (rest.match(/\((?:Read|Contribute|Full Control)\)/g) ?? []).length
}

/**
 * The distinct principals of the grants a scan met (case-insensitive, a user and a group of one name
 * apart), for the round's outcome and `usermap check`: at most `max` kept (memory stays bounded on a
 * share with many), `truncated` once a further one was met; the list sorted so equal scans give equal records.
 */
export class PrincipalTally {
  private readonly seen = new Map<string, SourcePrincipal>()
  truncated = false

  constructor(private readonly max: number) {}

  add(grants: readonly Grant[]): void {
    for (const g of grants) {
      if (g.principal.length > 256) continue
      const k = `${g.group === true ? 'g' : g.group === false ? 'u' : 's'}:${g.principal.toLowerCase()}`
      if (this.seen.has(k)) continue
      if (this.seen.size >= this.max) {
        this.truncated = true
        continue
      }
      this.seen.set(k, { login: g.principal, group: g.group })
    }
  }

  list(): SourcePrincipal[] {
    return [...this.seen.values()].sort((a, b) => (a.login < b.login ? -1 : a.login > b.login ? 1 : String(a.group) < String(b.group) ? -1 : 1))
  }
}
