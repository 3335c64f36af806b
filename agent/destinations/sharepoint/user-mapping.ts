/**
 * Migration Manager's user-mapping CSV: no header; column A the source login (DOMAIN\user, user@domain or
 * a SID), B the destination UPN, C TRUE when B is a group. Authors and editors can only be users, so
 * group rows are kept but never used for Author/Editor. The rules are protocol/usermap.ts's, shared with
 * the fleet's map (`mmesh usermap import`); this reads an agent's own file (DIR/user-mapping.csv).
 */
import { readFile } from 'node:fs/promises'
import { parseUserMapCsv, userLookup } from '../../../protocol/usermap.ts'

export interface UserMapping {
  /** The UPN for a source owner, or null (unmapped or mapped to a group). */
  upnFor(owner: string | null): string | null
  /** The destination of a user or group (column C) for permissions, or null when unmapped. */
  principalFor?(source: string): { login: string; group: boolean } | null
  readonly size: number
}

export function parseUserMapping(text: string, file = 'user mapping file'): UserMapping {
  const parsed = parseUserMapCsv(file, text)
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
  return userLookup(parsed.rows)
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
