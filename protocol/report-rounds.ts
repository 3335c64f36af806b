/**
 * Per-round counters folded from a task's item records in one pass: ItemSummary (Migration Manager's stage
 * counters), ScanSummary (what the scan saw, with readiness), plus the failure categories and the bytes
 * per agent over time that report.html draws. Memory grows with rounds and categories, not with items.
 */
import type { ItemRecord } from './items.ts'
import type { Cell } from './report-rows.ts'
import { unmappedCount } from './permissions.ts'
import { SCAN_LIST_ROUND_COLUMNS, scanListRoundCells, type ScanTask } from './report-scan.ts'

/** Migration Manager's ItemSummary columns, then ours (Unchanged items: already identical, not copied). */
export const ITEM_SUMMARY_COLUMNS = [
  'Incremental round',
  'Scanned',
  'Item scan failures',
  'Filtered out items',
  'Expected migrated file count',
  'Read',
  'Packaged',
  'Uploaded',
  'ReUploaded',
  'Submitted',
  'ReSubmitted',
  'Migrated',
  'Failed reading',
  'Failed packing',
  'Failed uploading',
  'Failed submitting',
  'Failed querying',
  'Device name',
  'Unchanged items',
  'Copied items',
  'Failed items',
  // "Preserve file share permissions": principals an item's permissions named that could not be granted
  'Unmapped principals',
] as const

/** Migration Manager's ScanSummary columns, then the readiness split of the Scans dashboard. */
export const SCAN_SUMMARY_COLUMNS = [
  'Incremental round',
  'Total scanned items',
  'Total scanned folders',
  'Total scanned list items',
  'Total scanned files',
  'Folders with issues',
  'Items with issues',
  'Items filtered out',
  'Folders to be migrated',
  'Items to be migrated',
  'Total items to be migrated',
  'Device name',
  'Ready items',
  'Items with warnings',
  'Items with errors',
  'Migration readiness',
  // Migration Manager's Scans list (mm-scan.md) for the same source, per round: report-scan.ts
  ...SCAN_LIST_ROUND_COLUMNS,
] as const

export interface RoundTally {
  round: number
  scanned: number
  files: number
  folders: number
  filesWithIssues: number
  foldersWithIssues: number
  filteredOut: number
  filesToMigrate: number
  foldersToMigrate: number
  copied: number
  unchanged: number
  failed: number
  failedReading: number
  scannedOnly: number
  ready: number
  warnings: number
  errors: number
  bytesCopied: number
  unmappedPrincipals: number
  /** bytes of every file the round saw (Data size) */
  dataSize: number
  /** the longest destination path of the round's items, and its length */
  maxPathLength: number
  maxPath: string
  devices: Set<string>
}

function newTally(round: number): RoundTally {
  return {
    round,
    scanned: 0,
    files: 0,
    folders: 0,
    filesWithIssues: 0,
    foldersWithIssues: 0,
    filteredOut: 0,
    filesToMigrate: 0,
    foldersToMigrate: 0,
    copied: 0,
    unchanged: 0,
    failed: 0,
    failedReading: 0,
    scannedOnly: 0,
    ready: 0,
    warnings: 0,
    errors: 0,
    bytesCopied: 0,
    unmappedPrincipals: 0,
    dataSize: 0,
    maxPathLength: 0,
    maxPath: '',
    devices: new Set(),
  }
}

/** Failures whose category says the source could not be read count as "Failed reading"; the rest failed on the way out. */
const READ_FAILURE = /source|read|access denied|permission/i

export class RoundTallies {
  private readonly rounds = new Map<number, RoundTally>()
  readonly failureCategories = new Map<string, number>()

  add(i: ItemRecord): void {
    let t = this.rounds.get(i.round)
    if (!t) this.rounds.set(i.round, (t = newTally(i.round)))
    t.scanned++
    if (i.isFolder) t.folders++
    else {
      t.files++
      t.dataSize += Number.isFinite(i.size) && i.size > 0 ? i.size : 0
    }
    if (typeof i.destination === 'string' && i.destination.length > t.maxPathLength) {
      t.maxPathLength = i.destination.length
      t.maxPath = i.destination
    }
    if (i.readiness === 'error') t.errors++
    else if (i.readiness === 'warning') t.warnings++
    else t.ready++
    if (i.readiness !== 'ready') {
      if (i.isFolder) t.foldersWithIssues++
      else t.filesWithIssues++
    }
    if (i.device && t.devices.size < 64) t.devices.add(i.device)
    if (i.readiness === 'warning') t.unmappedPrincipals += unmappedCount(i.message)
    switch (i.status) {
      case 'Skipped':
        t.filteredOut++
        return
      case 'Migrated':
        t.copied++
        t.bytesCopied += i.size
        break
      case 'Unchanged':
        t.unchanged++
        break
      case 'Failed': {
        t.failed++
        if (READ_FAILURE.test(i.resultCategory)) t.failedReading++
        const cat = i.resultCategory || 'Unknown'
        // bounded: a peer cannot grow this without limit by inventing categories
        if (this.failureCategories.has(cat) || this.failureCategories.size < 1000) {
          this.failureCategories.set(cat, (this.failureCategories.get(cat) ?? 0) + 1)
        }
        break
      }
      case 'Scanned':
        t.scannedOnly++
        break
    }
    if (i.isFolder) t.foldersToMigrate++
    else t.filesToMigrate++
  }

  list(): RoundTally[] {
    return [...this.rounds.values()].sort((a, b) => a.round - b.round)
  }
}

function devices(t: RoundTally): string {
  return [...t.devices].sort().join('; ')
}

export function itemSummaryRow(t: RoundTally): Cell[] {
  const atDestination = t.copied + t.unchanged
  const read = t.copied + (t.failed - t.failedReading)
  return [
    t.round,
    t.scanned,
    t.errors,
    t.filteredOut,
    t.filesToMigrate + t.foldersToMigrate - t.scannedOnly,
    read,
    // mmesh copies item by item (no packages, no batch submission): these stages equal what was copied
    t.copied,
    t.copied,
    0,
    t.copied,
    0,
    atDestination,
    t.failedReading,
    0,
    t.failed - t.failedReading,
    0,
    0,
    devices(t),
    t.unchanged,
    t.copied,
    t.failed,
    t.unmappedPrincipals,
  ]
}

/** One round; with the task, the Scans list's columns too (its root facts for the round its assessment measured). */
export function scanSummaryRow(t: RoundTally, task?: ScanTask): Cell[] {
  const assessed = task?.assessment?.round === t.round ? task.assessment : null
  // the assessment also knows what the items cannot: a failed destination check
  const readiness = assessed ? assessed.readiness : t.errors > 0 ? 'Errors' : t.warnings > 0 ? 'Warnings' : 'Ready'
  return [
    t.round,
    t.scanned,
    t.folders,
    0,
    t.files,
    t.foldersWithIssues,
    t.filesWithIssues,
    t.filteredOut,
    t.foldersToMigrate,
    t.filesToMigrate,
    t.foldersToMigrate + t.filesToMigrate,
    devices(t),
    t.ready,
    t.warnings,
    t.errors,
    readiness,
    ...scanListRoundCells(t, task),
  ]
}
