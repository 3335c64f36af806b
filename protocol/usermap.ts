/**
 * The fleet's user mapping: Migration Manager's user-mapping CSV (no header; column A the source login —
 * DOMAIN\user, user@domain or a SID —, B the destination principal's UPN, C TRUE when B is a group),
 * stored in the ledger as one signed `usermap.set` command whose value is the whole map, so every agent
 * uses the same one and the latest import (by HLC) replaces the previous one whole.
 *
 * Reading is all or nothing: every bad row is named by its line, as `task import` names bad records.
 */
import { parse } from 'csv-parse/sync'
import { z } from 'zod'
import type { CommandRecord, SourcePrincipal } from './records.ts'
import { byHlc } from './intent.ts'

/** The command's target: one map for the fleet. */
export const USERMAP_TARGET = 'usermap'
/** Bounded so a map fits one ledger record a peer can still take (about 100 bytes a row). */
export const USERMAP_MAX_ROWS = 100_000

export interface UserMapRow {
  /** column A, as written (matched case-insensitively) */
  source: string
  /** column B */
  upn: string
  /** column C */
  group: boolean
}

/** The value of a `usermap.set` command: rows as [A, B, C] triples, compact in the ledger. */
const usermapValueSchema = z.object({
  rows: z.array(z.tuple([z.string().min(1).max(512), z.string().min(1).max(512), z.boolean()])).max(USERMAP_MAX_ROWS),
}).loose()

export type UserMapValue = { rows: Array<[string, string, boolean]> }

export const toUserMapValue = (rows: readonly UserMapRow[]): UserMapValue => ({ rows: rows.map((r) => [r.source, r.upn, r.group]) })

export interface FleetUserMap {
  rows: UserMapRow[]
  /** the command that set it (null: never imported) */
  setAt: string | null
  setBy: string | null
}

/** The map in force: the latest valid `usermap.set` command by HLC (a peer's invalid value is ignored). */
export function foldUserMap(commands: readonly CommandRecord[]): FleetUserMap {
  let out: FleetUserMap = { rows: [], setAt: null, setBy: null }
  for (const c of [...commands].sort(byHlc)) {
    if (c.kind !== 'usermap.set') continue
    const v = usermapValueSchema.safeParse(c.value)
    if (!v.success) continue
    out = { rows: v.data.rows.map(([source, upn, group]) => ({ source, upn, group })), setAt: c.hlc, setBy: c.by }
  }
  return out
}

// A login as Migration Manager's file names it: DOMAIN\user, user@domain, or a SID (S-1-5-…); a plain
// name (a Linux login, as the owner lookup gives) too. No control characters, no commas left over.
const LOGIN = /^[^\u0000-\u001f\u007f,]+$/
const UPN = /^[^\s@\u0000-\u001f\u007f]+@[^\s@\u0000-\u001f\u007f]+\.[^\s@\u0000-\u001f\u007f]+$/
const GROUP_NAME = /^[^\u0000-\u001f\u007f]+$/

export type UserMapParse = { ok: true; rows: UserMapRow[] } | { ok: false; errors: string[] }

/** Parses the CSV; every bad row is named `FILE:LINE: what is wrong`. */
export function parseUserMapCsv(fileName: string, text: string): UserMapParse {
  let records: { record: string[]; info: { lines: number } }[]
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof records
  } catch (err) {
    const e = err as { lines?: number; message?: string }
    return { ok: false, errors: [`${fileName}:${e.lines ?? '?'}: not a readable CSV (${(e.message ?? String(err)).split('\n')[0]}); use three columns: source login, destination UPN, TRUE or FALSE`] }
  }
  const errors: string[] = []
  const rows: UserMapRow[] = []
  const seen = new Map<string, number>()
  for (const { record, info } of records) {
    const line = info.lines
    const cells = record.map((c) => c.trim())
    if (cells.every((c) => c === '')) continue
    const at = `${fileName}:${line}`
    if (cells.length > 3 && cells.slice(3).some((c) => c !== '')) {
      errors.push(`${at}: ${cells.length} columns; a row has three: source login, destination UPN, TRUE or FALSE`)
      continue
    }
    const [source = '', upn = '', groupCell = ''] = cells
    if (source === '') {
      errors.push(`${at}: column A (the source login, such as CONTOSO\\jdoe) is empty`)
      continue
    }
    if (!LOGIN.test(source)) {
      errors.push(`${at}: column A ${JSON.stringify(source)} is not a login name (DOMAIN\\user, user@domain or a SID)`)
      continue
    }
    // an empty column C means a user, as the per-agent file has always been read
    const g = groupCell === '' ? 'FALSE' : groupCell.toUpperCase()
    if (g !== 'TRUE' && g !== 'FALSE') {
      errors.push(`${at}: column C must be TRUE (a group) or FALSE (a user), not ${JSON.stringify(groupCell)}`)
      continue
    }
    const group = g === 'TRUE'
    if (upn === '') {
      errors.push(`${at}: column B (the destination UPN, such as jdoe@contoso.com) is empty`)
      continue
    }
    if (group ? !GROUP_NAME.test(upn) : !UPN.test(upn)) {
      errors.push(`${at}: column B ${JSON.stringify(upn)} is not a user principal name such as jdoe@contoso.com`)
      continue
    }
    if (source.length > 512 || upn.length > 512) {
      errors.push(`${at}: a login or UPN longer than 512 characters`)
      continue
    }
    const key = source.toLowerCase()
    const first = seen.get(key)
    if (first !== undefined) {
      errors.push(`${at}: ${JSON.stringify(source)} is mapped on line ${first} already; keep one row per source login`)
      continue
    }
    seen.set(key, line)
    rows.push({ source, upn, group })
  }
  if (errors.length === 0 && rows.length === 0) errors.push(`${fileName}: no rows; a user-mapping file has one row per user: source login, destination UPN, TRUE or FALSE`)
  if (rows.length > USERMAP_MAX_ROWS) errors.push(`${fileName}: ${rows.length} rows; at most ${USERMAP_MAX_ROWS} fit the fleet's map`)
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rows }
}

/** The file as Migration Manager reads it back: no header, A, B, C. */
export function userMapCsvRecords(rows: readonly UserMapRow[]): string[][] {
  return rows.map((r) => [r.source, r.upn, r.group ? 'TRUE' : 'FALSE'])
}

export interface UserLookup {
  /** The UPN for a source owner, or null (unmapped, or mapped to a group: authors are users). */
  upnFor(owner: string | null): string | null
  /** Whether the map names this login at all (a group row counts). */
  has(owner: string): boolean
  /** The destination of a user or group (column C) for permissions, or null when unmapped. */
  principalFor(source: string): { login: string; group: boolean } | null
  readonly size: number
}

/**
 * A lookup over the fleet's rows with an agent's own rows on top (DIR/user-mapping.csv, the override an
 * admin may keep on one agent): a login the override names is taken from it.
 */
export function userLookup(...layers: ReadonlyArray<readonly UserMapRow[]>): UserLookup {
  const map = new Map<string, UserMapRow>()
  for (const rows of layers) for (const r of rows) map.set(r.source.toLowerCase(), r)
  return {
    size: map.size,
    upnFor(owner) {
      if (!owner) return null
      const hit = map.get(owner.toLowerCase())
      return hit && !hit.group ? hit.upn : null
    },
    has: (owner) => map.has(owner.toLowerCase()),
    principalFor(source) {
      const hit = map.get(source.toLowerCase())
      return hit ? { login: hit.upn, group: hit.group } : null
    },
  }
}

export type UnresolvedReason = 'not in the user map' | 'mapped to a group' | 'mapped to a user'

/** A source principal of a scan the map does not resolve: a file's owner, or a permission entry's principal. */
export interface UnresolvedPrincipal {
  login: string
  as: 'owner' | 'permission'
  /** a group's permission entry; false for a user (and every owner); null when the source does not say (a SID) */
  group: boolean | null
  reason: UnresolvedReason
}

/**
 * Why a source principal does not resolve, or null when it does. Column C decides: a user (every owner)
 * resolves only through a user row, a group only through a group row — a user row for a group would grant
 * one person what the group had, so it is named rather than taken. A SID, whose kind the source does not
 * say, resolves through either.
 */
export function unresolvedReason(lookup: UserLookup, login: string, group: boolean | null): UnresolvedReason | null {
  const hit = lookup.principalFor(login)
  if (!hit) return 'not in the user map'
  if (group === null || hit.group === group) return null
  return hit.group ? 'mapped to a group' : 'mapped to a user'
}

/** `usermap check`: the owners, then the permission principals, the map does not resolve (in the order given). */
export function unresolvedPrincipals(lookup: UserLookup, owners: readonly string[], principals: readonly SourcePrincipal[]): UnresolvedPrincipal[] {
  const out: UnresolvedPrincipal[] = []
  for (const login of owners) {
    const reason = unresolvedReason(lookup, login, false)
    if (reason) out.push({ login, as: 'owner', group: false, reason })
  }
  for (const p of principals) {
    const reason = unresolvedReason(lookup, p.login, p.group)
    if (reason) out.push({ login: p.login, as: 'permission', group: p.group, reason })
  }
  return out
}

/** The words `usermap check` prints for what a principal is: owner, permission user, permission group. */
export function principalRole(p: Pick<UnresolvedPrincipal, 'as' | 'group'>): string {
  if (p.as === 'owner') return 'owner'
  return p.group === true ? 'permission group' : p.group === false ? 'permission user' : 'permission entry'
}
