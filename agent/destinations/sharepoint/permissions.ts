/**
 * "Preserve file share permissions" on SharePoint: an item whose source permissions differ from its
 * parent's gets its own — inheritance broken without copying the parent's assignments
 * (breakroleinheritance(copyRoleAssignments=false)), then one role assignment per mapped principal — and
 * an item whose source permissions equal its parent's again inherits (resetroleinheritance). Each call
 * first reads what the item has, so a rerun changes only what changed at the source, and a repeat costs
 * one request. Principals go through the user mapping (a narrow lookup, so the fleet-wide mapping can take
 * its place) and ensureUser; a principal that cannot be resolved is reported, never guessed.
 */
import type { SPFI } from '@pnp/sp'
import { SPInstance, SPQueryable, spPost } from '@pnp/sp'
import { body } from '@pnp/queryable'
import '@pnp/sp/site-users/index.js'
import type { PermissionResult } from '../../engine/destination.ts'
import type { Grant, SpRole } from '../../../protocol/permissions.ts'
import { signalBehavior } from './behaviors.ts'
import type { UserMapping } from './user-mapping.ts'

/** A source principal's destination: a user's UPN or a group's e-mail; null = not mapped. */
export type PrincipalLookup = (sourceName: string) => { login: string; group: boolean } | null

/** SharePoint's RoleTypeKind for each role Migration Manager maps to (Reader, Contributor, Administrator). */
const ROLE_TYPE: Record<SpRole, number> = { Read: 2, Contribute: 3, 'Full Control': 5 }

/**
 * The user-mapping file as a PrincipalLookup: its rows (column C says group) first; a source name that is
 * itself an e-mail address (a CIFS share's owner seen as user@domain) is tried as it is.
 */
export function lookupFromUserMapping(mapping: UserMapping | null): PrincipalLookup {
  return (name) => {
    const hit = mapping?.principalFor?.(name) ?? (mapping?.upnFor(name) ? { login: mapping.upnFor(name)!, group: false } : null)
    if (hit) return hit
    return /^[^@\s\\|]+@[^@\s\\|]+\.[^@\s\\|]+$/.test(name) ? { login: name, group: false } : null
  }
}

export interface PermissionApplier {
  apply(serverUrl: string, isFolder: boolean, grants: readonly Grant[] | null, signal: AbortSignal): Promise<PermissionResult>
}

interface Assignment {
  PrincipalId: number
  RoleDefinitionBindings?: Array<{ Id: number }>
}

export function createPermissionApplier(sp: SPFI, lookup: () => PrincipalLookup): PermissionApplier {
  // one ensureUser per principal and one lookup per role for the life of the destination
  const principals = new Map<string, Promise<{ id: number; login: string } | { why: string }>>()
  const roles = new Map<SpRole, Promise<number>>()

  const roleId = (role: SpRole, signal: AbortSignal): Promise<number> => {
    let p = roles.get(role)
    if (!p) {
      p = SPInstance(sp.web, `roledefinitions/getbytype(${ROLE_TYPE[role]})`).using(signalBehavior(signal))<{ Id: number }>().then((d) => Number(d.Id))
      p.catch(() => roles.delete(role))
      roles.set(role, p)
    }
    return p
  }

  const principal = (g: Grant, signal: AbortSignal): Promise<{ id: number; login: string } | { why: string }> => {
    const to = lookup()(g.principal)
    if (!to) return Promise.resolve({ why: 'not in the user mapping' })
    const logon = to.group ? to.login : `i:0#.f|membership|${to.login}`
    let p = principals.get(logon.toLowerCase())
    if (!p) {
      p = spPost<{ Id: number }>(SPQueryable(sp.web, 'ensureuser').using(signalBehavior(signal)), body({ logonName: logon })).then(
        (u) => ({ id: Number(u.Id), login: to.login }),
        (err: { status?: number }) => {
          // a refusal that is not about the user (throttling, credentials) is the caller's to handle
          if (err?.status !== undefined && err.status !== 404 && err.status !== 500 && err.status !== 400) throw err
          return { why: `${to.login} not found in the tenant` }
        },
      )
      p.catch(() => principals.delete(logon.toLowerCase()))
      principals.set(logon.toLowerCase(), p)
    }
    return p
  }

  return {
    async apply(url, isFolder, grants, signal) {
      const target = isFolder ? sp.web.getFolderByServerRelativePath(url) : sp.web.getFileByServerRelativePath(url)
      const item = SPInstance(target, 'listItemAllFields')
      const at = (path: string) => SPQueryable(item, path).using(signalBehavior(signal))
      const state = await SPInstance(target, 'listItemAllFields').select('HasUniqueRoleAssignments').using(signalBehavior(signal))<{ HasUniqueRoleAssignments?: boolean }>()
      const unique = state.HasUniqueRoleAssignments === true
      if (grants === null) {
        if (!unique) return { change: 'none', unique: false, granted: [], unmapped: [] }
        await spPost(at('resetroleinheritance'))
        return { change: 'reset', unique: false, granted: [], unmapped: [] }
      }
      const granted: PermissionResult['granted'] = []
      const unmapped: PermissionResult['unmapped'] = []
      const want = new Set<string>()
      for (const g of grants) {
        const p = await principal(g, signal)
        if ('why' in p) {
          unmapped.push({ grant: g, why: p.why })
          continue
        }
        want.add(`${p.id}/${await roleId(g.role, signal)}`)
        granted.push({ grant: g, to: p.login })
      }
      let have = new Set<string>()
      let changed = false
      if (unique) {
        const ras = await SPInstance(item, 'roleassignments').expand('RoleDefinitionBindings').using(signalBehavior(signal))<{ value?: Assignment[] } | Assignment[]>()
        const list = Array.isArray(ras) ? ras : ras.value ?? []
        have = new Set(list.flatMap((a) => (a.RoleDefinitionBindings ?? []).map((r) => `${a.PrincipalId}/${r.Id}`)))
      } else {
        // a folder restricted at the source stays restricted even when none of its principals could be
        // mapped: inheriting the parent's wider permissions would open it up
        await spPost(at('breakroleinheritance(copyroleassignments=false,clearsubscopes=false)'))
        changed = true
      }
      for (const k of want) {
        if (have.has(k)) continue
        const [pid, rid] = k.split('/')
        await spPost(at(`roleassignments/addroleassignment(principalid=${pid},roledefid=${rid})`))
        changed = true
      }
      for (const k of have) {
        if (want.has(k)) continue
        const [pid, rid] = k.split('/')
        await spPost(at(`roleassignments/removeroleassignment(principalid=${pid},roledefid=${rid})`))
        changed = true
      }
      return { change: changed ? 'unique' : 'none', unique: true, granted, unmapped }
    },
  }
}
