import { describe, expect, it } from 'vitest'
import { FILE_COUNT_BUCKETS, SIZE_BUCKETS, assessmentSchema, bucketOf, fleetAssessment, readinessOf, type Assessment } from './assessment.ts'

const GB = 2 ** 30

function assessment(over: Partial<Assessment>): Assessment {
  return {
    round: 0, dataSize: 0, files: 0, folders: 0, maxPathLength: 10, maxPath: 'x', rootPermissions: null, lastAccessed: null, created: null,
    readiness: 'Ready', readinessReason: null, warnings: 0, errors: 0, destinationCheck: null, modifiedYears: {}, ...over,
  }
}

describe('assessment buckets', () => {
  it('puts file counts in Migration Manager buckets, each lower bound inclusive', () => {
    const at = (n: number) => FILE_COUNT_BUCKETS[bucketOf(FILE_COUNT_BUCKETS, n)]!.label
    expect([0, 9, 10, 999, 1000, 4999, 5000, 24_999, 25_000, 49_999, 50_000, 10_000_000].map(at)).toEqual([
      '<10', '<10', '10–1K', '10–1K', '1K–5K', '1K–5K', '5K–25K', '5K–25K', '25K–50K', '25K–50K', '>50K', '>50K',
    ])
  })

  it('puts sizes in Migration Manager buckets (GB = 2^30 bytes, 1 TB = 1024 GB)', () => {
    const at = (n: number) => SIZE_BUCKETS[bucketOf(SIZE_BUCKETS, n)]!.label
    expect([0, GB - 1, GB, 20 * GB - 1, 20 * GB, 100 * GB, 500 * GB - 1, 500 * GB, 1024 * GB - 1, 1024 * GB].map(at)).toEqual([
      '<1 GB', '<1 GB', '1–20 GB', '1–20 GB', '20–100 GB', '100–500 GB', '100–500 GB', '500 GB–1 TB', '500 GB–1 TB', '>1 TB',
    ])
  })

  it('folds the scanned tasks of a fleet into the dashboard, leaving unscanned tasks out', () => {
    const f = fleetAssessment([
      { assessment: assessment({ files: 5, dataSize: 10, modifiedYears: { '2019': 3, '2024': 2 } }) },
      { assessment: assessment({ files: 1500, dataSize: 30 * GB, modifiedYears: { '2024': 1000, '2001': 500 } }) },
      { assessment: assessment({ files: 60_000, dataSize: 2048 * GB }) },
      { assessment: null },
      {},
    ])
    expect(f.assessed).toBe(3)
    expect(Object.fromEntries(f.fileCounts.map((b) => [b.label, b.count]))).toEqual({ '<10': 1, '10–1K': 0, '1K–5K': 1, '5K–25K': 0, '25K–50K': 0, '>50K': 1 })
    expect(Object.fromEntries(f.sizes.map((b) => [b.label, b.count]))).toEqual({ '<1 GB': 1, '1–20 GB': 0, '20–100 GB': 1, '100–500 GB': 0, '500 GB–1 TB': 0, '>1 TB': 1 })
    expect(f.years).toEqual([{ year: '2001', files: 500 }, { year: '2019', files: 3 }, { year: '2024', files: 1002 }])
  })
})

describe('readiness', () => {
  it('is Ready without issues, Warnings with warnings, Errors with errors, a long path or a failed destination check', () => {
    expect(readinessOf({ warnings: 0, errors: 0, destinationCheck: { ok: true, message: 'ok' }, maxPathLength: 400 })).toEqual({ readiness: 'Ready', reason: null })
    expect(readinessOf({ warnings: 2, errors: 0, destinationCheck: null, maxPathLength: 10 })).toEqual({ readiness: 'Warnings', reason: '2 items with warnings' })
    expect(readinessOf({ warnings: 2, errors: 1, destinationCheck: null, maxPathLength: 10 })).toEqual({ readiness: 'Errors', reason: '1 item with errors' })
    expect(readinessOf({ warnings: 0, errors: 0, destinationCheck: null, maxPathLength: 401 }).reason).toBe('longest destination path is 401 characters (SharePoint allows 400)')
    const failed = readinessOf({ warnings: 0, errors: 0, destinationCheck: { ok: false, message: 'destination /x cannot be written (EROFS)' }, maxPathLength: 10 })
    expect(failed).toEqual({ readiness: 'Errors', reason: 'destination check failed: destination /x cannot be written (EROFS)' })
  })

  it('the schema takes a full assessment and refuses a bad year key', () => {
    expect(assessmentSchema.safeParse(assessment({ modifiedYears: { '2020': 1 } })).success).toBe(true)
    expect(assessmentSchema.safeParse(assessment({ modifiedYears: { '<script>': 1 } })).success).toBe(false)
  })
})
