/**
 * The assessment of a pass (protocol/assessment.ts): counted from the walk's own listings, so it costs
 * no extra read of the share, plus three facts about the source root read once per pass — its times and
 * its permission entries — and, for scan-only rounds, the destination check (Destination.probe).
 */
import { execFile } from 'node:child_process'
import { lstat } from 'node:fs/promises'
import { MAX_PATH_TEXT, MAX_YEARS, readinessOf, type Assessment } from '../../protocol/assessment.ts'
import type { Destination } from './destination.ts'
import { readCifsAttributes } from './scan-cifs.ts'

export interface RootFacts {
  rootPermissions: number | null
  lastAccessed: string | null
  created: string | null
}

export const UNKNOWN_ROOT: RootFacts = { rootPermissions: null, lastAccessed: null, created: null }

export class Assessor {
  private dataSize = 0
  private files = 0
  private folders = 0
  private maxPathLength = 0
  private maxPath = ''
  private warnings = 0
  private errors = 0
  private readonly years = new Map<number, number>()
  /** the UTC year boundaries of the last year looked up: most files of a folder share a year */
  private yearFrom = 0
  private yearTo = -1
  private year = 0
  root: RootFacts = UNKNOWN_ROOT
  destinationCheck: Assessment['destinationCheck'] = null

  /** An entry of a listing (not the root), with the destination path it would get (null: it gets none). */
  entry(kind: 'file' | 'folder' | 'other', size: number, mtimeMs: number, destPath: string | null): void {
    if (kind === 'folder') this.folders++
    else if (kind === 'file') {
      this.files++
      this.dataSize += size
      this.countYear(mtimeMs)
    } else return
    if (destPath !== null && destPath.length > this.maxPathLength) {
      this.maxPathLength = destPath.length
      this.maxPath = destPath
    }
  }

  /** An item's readiness, as its record says (Tally.end). */
  readiness(r: 'ready' | 'warning' | 'error'): void {
    if (r === 'error') this.errors++
    else if (r === 'warning') this.warnings++
  }

  private countYear(ms: number): void {
    if (!Number.isFinite(ms)) return
    if (ms < this.yearFrom || ms >= this.yearTo) {
      const y = new Date(ms).getUTCFullYear()
      this.year = y
      this.yearFrom = Date.UTC(y, 0, 1)
      this.yearTo = Date.UTC(y + 1, 0, 1)
    }
    const n = this.years.get(this.year)
    if (n !== undefined) this.years.set(this.year, n + 1)
    else if (this.years.size < MAX_YEARS) this.years.set(this.year, 1)
  }

  result(round: number): Assessment {
    const modifiedYears: Record<string, number> = {}
    for (const [y, n] of [...this.years].sort((a, b) => a[0] - b[0])) modifiedYears[String(y)] = n
    const base = {
      round,
      dataSize: this.dataSize,
      files: this.files,
      folders: this.folders,
      maxPathLength: this.maxPathLength,
      maxPath: this.maxPath.length > MAX_PATH_TEXT ? `${this.maxPath.slice(0, MAX_PATH_TEXT - 1)}…` : this.maxPath,
      ...this.root,
      warnings: this.warnings,
      errors: this.errors,
      destinationCheck: this.destinationCheck,
      modifiedYears,
    }
    const { readiness, reason } = readinessOf(base)
    return { ...base, readiness, readinessReason: reason }
  }
}

const iso = (ms: number | null | undefined): string | null => (ms && Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null)

/**
 * The source root's last access and creation times and its permission entries, read before the walk
 * lists it (a listing would refresh its access time). Whatever cannot be read stays null ("unknown").
 */
export async function readRootFacts(root: string, cifs: boolean): Promise<RootFacts> {
  const [st, perms, cifsAttrs] = await Promise.all([
    lstat(root).catch(() => null),
    countAclEntries(root),
    cifs ? readCifsAttributes([root]).catch(() => null) : Promise.resolve(null),
  ])
  const created = cifsAttrs?.get(root)?.creationTimeMs ?? st?.birthtimeMs ?? null
  return { rootPermissions: perms, lastAccessed: iso(st?.atimeMs), created: iso(created) }
}

let getfaclMissing = false

/**
 * The entries of the root's access ACL (`getfacl`, package `acl`): the owner, group and other entries
 * and any named user or group with the mask — what Migration Manager counts as the root's permission
 * entries. Default (inherited-to-children) entries are not counted. null when getfacl is missing or fails.
 */
export function countAclEntries(dir: string): Promise<number | null> {
  if (getfaclMissing) return Promise.resolve(null)
  return new Promise((resolve) => {
    execFile('getfacl', ['--omit-header', '--absolute-names', '--', dir], { timeout: 10_000, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') getfaclMissing = true
        return resolve(null)
      }
      resolve(parseAclCount(stdout))
    })
  })
}

export function parseAclCount(text: string): number | null {
  let n = 0
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('default:')) continue
    if (/^(user|group|other|mask):[^:]*:[rwxX-]{3}/.test(line)) n++
  }
  return n > 0 ? n : null
}

/**
 * Scan-only: is the destination reachable and writable? The destination's probe leaves nothing behind;
 * its failure becomes the readiness reason instead of failing the scan (a scan's job is to say so).
 */
export async function checkDestination(dest: Destination, signal: AbortSignal): Promise<Assessment['destinationCheck']> {
  if (!dest.probe) return null
  try {
    return { ok: true, message: (await dest.probe(signal)).slice(0, 1024) }
  } catch (err) {
    if (signal.aborted) throw err
    return { ok: false, message: (err instanceof Error ? err.message : String(err)).slice(0, 1024) }
  }
}
