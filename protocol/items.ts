/**
 * Item results: one record per file or folder per round. They live in the running agent's level
 * database and on its replicas, never in the ledger (a million-file task has a million of them).
 */
export const ITEM_STATUSES = ['Migrated', 'Unchanged', 'Skipped', 'Failed', 'Scanned'] as const
/**
 * Migrated: copied this round. Unchanged: already identical at the destination. Skipped: left out by a
 * filter or a rule. Failed: tried and failed. Scanned: a scan-only round looked at it.
 */
export type ItemStatus = (typeof ITEM_STATUSES)[number]

export interface ItemRecord {
  taskId: string
  round: number
  /** Full source path as the admin gave it (UNC or local). */
  source: string
  /** Full destination path or URL, decoded. */
  destination: string
  name: string
  /** Last extension without the dot, lower-case; '' for none and for folders. */
  extension: string
  size: number
  isFolder: boolean
  status: ItemStatus
  /** Migration Manager-like category: e.g. 'Success', 'Filtered out', 'Invalid name', 'Path too long', 'Source read error'. */
  resultCategory: string
  message: string
  /** Hex error code as in Migration Manager's troubleshooting table, '' when none. */
  errorCode: string
  /** Name of the agent that produced the record. */
  device: string
  /** When the record was written (ISO). */
  at: string
  /** Scan classification for ScanSummary: 'ready' | 'warning' | 'error'. */
  readiness: 'ready' | 'warning' | 'error'
}
