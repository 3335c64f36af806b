/**
 * Migration Manager's user-mapping CSV: no header; column A the source login (DOMAIN\user, user@domain or
 * a SID), B the destination UPN, C TRUE when B is a group. Authors and editors can only be users, so
 * group rows are kept but never used for Author/Editor.
 */
import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'

export interface UserMapping {
  /** The UPN for a source owner, or null (unmapped or mapped to a group). */
  upnFor(owner: string | null): string | null
  /** The destination of a user or group (column C) for permissions, or null when unmapped. */
  principalFor?(source: string): { login: string; group: boolean } | null
  readonly size: number
}

export function parseUserMapping(text: string, file = 'user mapping file'): UserMapping {
  let rows: string[][]
  try {
    rows = parse(text.replace(/^\uFEFF/, ''), { relaxColumnCount: true, skipEmptyLines: true, trim: true }) as string[][]
  } catch (e) {
    throw new Error(`${file} is not valid CSV (${(e as Error).message}): use three columns, source login, UPN, TRUE/FALSE`)
  }
  const map = new Map<string, { upn: string; group: boolean }>()
  rows.forEach((row, i) => {
    const [src, upn, grp] = row
    if (!src || !upn) throw new Error(`${file} line ${i + 1}: needs a source login in column A and a UPN in column B`)
    const g = (grp ?? 'FALSE').toUpperCase()
    if (g !== 'TRUE' && g !== 'FALSE') throw new Error(`${file} line ${i + 1}: column C must be TRUE or FALSE, not "${grp}"`)
    map.set(src.toLowerCase(), { upn, group: g === 'TRUE' })
  })
  return {
    size: map.size,
    upnFor(owner) {
      if (!owner) return null
      const hit = map.get(owner.toLowerCase())
      return hit && !hit.group ? hit.upn : null
    },
    principalFor(source) {
      const hit = map.get(source.toLowerCase())
      return hit ? { login: hit.upn, group: hit.group } : null
    },
  }
}

export async function loadUserMapping(file: string): Promise<UserMapping> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new Error(`cannot read user mapping file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  return parseUserMapping(text, file)
}
