/**
 * The assessment of a task's source, as Migration Manager's Scans list shows it: data size, file and
 * folder counts, the longest destination path against SharePoint's 400-character limit, the root's
 * permission entries, last accessed / created, and migration readiness with the reason when it is not
 * Ready (e.g. the destination check failed). The running agent writes it into the round's final outcome
 * (records.ts), so every node shows it; the fleet buckets of report.html are folded here from those.
 * Pure: the engine measures (agent/engine/assess.ts), this module only shapes and buckets.
 */
import { z } from 'zod'
import { MAX_PATH_CHARS } from './classify.ts'

export const READINESS = ['Ready', 'Warnings', 'Errors'] as const
export type Readiness = (typeof READINESS)[number]

/** Longest-path text kept in the ledger; the length is kept in full. */
export const MAX_PATH_TEXT = 2048
/** Years kept for "files by last-modified year" (a tree with wild clocks cannot grow the record). */
export const MAX_YEARS = 80

const isoOrNull = z.string().max(40).refine((s) => Number.isFinite(Date.parse(s)), 'not an ISO time').nullable()

const assessmentShape = z.object({
  /** the round whose scan measured this */
  round: z.number().int().min(0).max(1e6),
  /** bytes of every file seen (Data size) */
  dataSize: z.number().min(0),
  files: z.number().int().min(0),
  /** folders below the source root */
  folders: z.number().int().min(0),
  /** characters of the longest destination path or URL the task would create (decoded), and that path */
  maxPathLength: z.number().int().min(0),
  maxPath: z.string().max(MAX_PATH_TEXT),
  /** explicit permission entries on the source root; null: could not be read ("unknown") */
  rootPermissions: z.number().int().min(0).max(1e6).nullable(),
  /** the source root folder's last access and creation times, where the file system keeps them */
  lastAccessed: isoOrNull,
  created: isoOrNull,
  readiness: z.enum(READINESS),
  /** why the task is not Ready; null when it is */
  readinessReason: z.string().max(1024).nullable(),
  /** items the scan classified with warnings / errors */
  warnings: z.number().int().min(0),
  errors: z.number().int().min(0),
  /** the destination check: null when not checked, else whether it is reachable and writable and what was found */
  destinationCheck: z.object({ ok: z.boolean(), message: z.string().max(1024) }).nullable(),
  /** files by the UTC year of their last-modified time */
  modifiedYears: z.record(z.string().regex(/^-?\d{1,6}$/), z.number().int().min(0)),
})
export const assessmentSchema = assessmentShape.loose()
export type Assessment = z.infer<typeof assessmentShape>

/** Migration Manager's readiness: Errors over Warnings over Ready; a failed destination check is an error. */
export function readinessOf(a: Pick<Assessment, 'warnings' | 'errors' | 'destinationCheck' | 'maxPathLength'>): { readiness: Readiness; reason: string | null } {
  const reasons: string[] = []
  if (a.destinationCheck && !a.destinationCheck.ok) reasons.push(`destination check failed: ${a.destinationCheck.message}`)
  if (a.errors > 0) reasons.push(`${a.errors} item${a.errors === 1 ? '' : 's'} with errors`)
  if (a.maxPathLength > MAX_PATH_CHARS) reasons.push(`longest destination path is ${a.maxPathLength} characters (SharePoint allows ${MAX_PATH_CHARS})`)
  if (reasons.length > 0) return { readiness: 'Errors', reason: reasons.join('; ') }
  if (a.warnings > 0) return { readiness: 'Warnings', reason: `${a.warnings} item${a.warnings === 1 ? '' : 's'} with warnings` }
  return { readiness: 'Ready', reason: null }
}

export interface Bucket {
  label: string
  /** lower bound, inclusive */
  min: number
}

const K = 1000
/** Migration Manager's Scans dashboard: file counts. A bucket holds [min, next bucket's min). */
export const FILE_COUNT_BUCKETS: readonly Bucket[] = [
  { label: '<10', min: 0 },
  { label: '10–1K', min: 10 },
  { label: '1K–5K', min: 1 * K },
  { label: '5K–25K', min: 5 * K },
  { label: '25K–50K', min: 25 * K },
  { label: '>50K', min: 50 * K },
]

const GB = 2 ** 30
/** Migration Manager's Scans dashboard: data size (GB = 2^30 bytes, as the reports' GB columns; 1 TB = 1024 GB). */
export const SIZE_BUCKETS: readonly Bucket[] = [
  { label: '<1 GB', min: 0 },
  { label: '1–20 GB', min: 1 * GB },
  { label: '20–100 GB', min: 20 * GB },
  { label: '100–500 GB', min: 100 * GB },
  { label: '500 GB–1 TB', min: 500 * GB },
  { label: '>1 TB', min: 1024 * GB },
]

/** Index of the bucket that holds `value`. */
export function bucketOf(buckets: readonly Bucket[], value: number): number {
  let k = 0
  for (let i = 0; i < buckets.length; i++) if (value >= buckets[i]!.min) k = i
  return k
}

export interface FleetAssessment {
  /** tasks with an assessment */
  assessed: number
  fileCounts: { label: string; count: number }[]
  sizes: { label: string; count: number }[]
  /** files by last-modified year, oldest first */
  years: { year: string; files: number }[]
}

/** The dashboard over the tasks that have been scanned: how many tasks fall in each bucket, and files per year. */
export function fleetAssessment(tasks: readonly { assessment?: Assessment | null }[]): FleetAssessment {
  const fileCounts = FILE_COUNT_BUCKETS.map((b) => ({ label: b.label, count: 0 }))
  const sizes = SIZE_BUCKETS.map((b) => ({ label: b.label, count: 0 }))
  const years = new Map<string, number>()
  let assessed = 0
  for (const t of tasks) {
    const a = t.assessment
    if (!a) continue
    assessed++
    fileCounts[bucketOf(FILE_COUNT_BUCKETS, a.files)]!.count++
    sizes[bucketOf(SIZE_BUCKETS, a.dataSize)]!.count++
    for (const [y, n] of Object.entries(a.modifiedYears)) years.set(y, (years.get(y) ?? 0) + n)
  }
  return {
    assessed,
    fileCounts,
    sizes,
    years: [...years].map(([year, files]) => ({ year, files })).sort((a, b) => Number(a.year) - Number(b.year)),
  }
}
