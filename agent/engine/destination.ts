import type { Grant } from '../../protocol/permissions.ts'

/**
 * The engine's view of a destination. `file://` folders and SharePoint libraries both implement it, so
 * tests and benchmarks run the same engine against either. Paths given to a destination are relative
 * to the task's destination root (library + folder), use `/` separators, and are already valid for the
 * destination (the engine has applied SharePoint's name rules and the invalid-character setting).
 */
export interface DestinationEntry {
  name: string
  isFolder: boolean
  size: number
  /** Last modified time at the destination, ms since epoch. */
  mtimeMs: number
  /**
   * True when this app left the entry unfinished (a temporary file, an empty upload stub, a partial
   * upload made by this app): it is ours to replace, never "newer content" to protect.
   */
  partial: boolean
  /**
   * Compare by modified time only, not size: SharePoint rewrites Office documents (property promotion),
   * so their size and hash at the destination differ from the source's. Absent = false.
   */
  mtimeOnly?: boolean
  /** Last written by this app's own identity (SharePoint destinations), for diagnostics and partial checks. */
  writtenByThisApp?: boolean
}

export interface SourceFile {
  /** Absolute local path to read from (after `--map`). */
  localPath: string
  size: number
  mtimeMs: number
  /** Creation time where the platform knows it, else null. */
  birthtimeMs: number | null
  /** Owner login name on the share, for author mapping, where known. */
  owner: string | null
  /**
   * Device and inode the listing saw (SourceEntry). A destination opens the source without following a
   * link and without blocking, and reads it only if it is a regular file with this device and inode;
   * otherwise the item fails ("changed between listing and reading"). Absent: any regular file.
   */
  dev?: number
  ino?: number
}

export interface PutResult {
  size: number
  /** Hash of what was written, as the destination verified it (algorithm named by the destination). */
  hash: string | null
  hashAlgorithm: string | null
}

export interface PutOptions {
  signal: AbortSignal
  /** Called with bytes written so far, at most a few times a second. */
  onProgress?: (bytes: number) => void
  /** Replace an existing entry (the engine decided it is older or partial). */
  overwrite: boolean
  /**
   * Called right before the file becomes visible under its final name (rename, upload commit); throwing
   * cancels the put and leaves nothing under the final name. The engine checks its lease here.
   */
  beforeCommit?: () => void
}

export interface Destination {
  readonly kind: 'file' | 'sharepoint'
  /** Checks the destination exists and can be written (library found, credentials accepted). Throws DestinationError. */
  open(signal: AbortSignal): Promise<void>
  /**
   * Optional: checks, without opening for work and leaving nothing behind, that the destination is
   * reachable and this agent may write there (a scan-only round's destination check). Answers what was
   * checked; throws (any error) with what is wrong.
   */
  probe?(signal: AbortSignal): Promise<string>
  /** The full decoded path or URL for a relative path: for the 400-character rule and the reports. */
  displayPath(relPath: string): string
  /**
   * Optional: called once at the start of each pass, after open(), with the folder the pass compares
   * ('' = the destination root). A destination whose listings cost a round trip each (SharePoint) reads
   * the whole subtree here in as few requests as it can, and answers list() for the folders below from
   * that read; one that cannot (too large, refused) lists per folder as before. Throws DestinationError
   * only for what would fail every listing (credentials, access, throttled too long).
   */
  prefetch?(relRoot: string, signal: AbortSignal): Promise<void>
  /**
   * Lists one folder ('' = the destination root): null when it does not exist. Each folder is listed once
   * per pass; without a prefetch (or where it could not say) that is one request per folder.
   */
  list(relFolder: string, signal: AbortSignal): Promise<Map<string, DestinationEntry> | null>
  /** Creates a folder and its parents if missing. */
  ensureFolder(relFolder: string, signal: AbortSignal): Promise<void>
  /**
   * Streams a file in and sets its times. Atomic as far as the destination allows: a crash never leaves
   * something that looks like a complete file (temporary name + rename for folders; for SharePoint a
   * partial upload stays recognisable as ours).
   */
  putFile(relPath: string, source: SourceFile, options: PutOptions): Promise<PutResult>
  /**
   * Optional: copies many small files (each at most `batchFileMax` bytes) in one step, with the same
   * guarantees as putFile for each. The answer has one outcome per file, in order; a file's failure is
   * its own. `beforeCommit` is called before the batch starts and while it runs, and once it throws (or
   * the signal aborts) no further file of the batch is committed: the rest fail with its error.
   * Destinations whose per-file cost is a round trip (SharePoint) leave it out; so do those that map
   * owners (the file destination ignores `owner`).
   */
  putFiles?(files: readonly BatchFile[], options: BatchPutOptions): Promise<BatchOutcome[]>
  /** The largest file putFiles takes. */
  readonly batchFileMax?: number
  /**
   * Optional: batches worth keeping in flight per task (default: the engine's taskConcurrency). The
   * file:// destination writes each folder's batches on one worker, 16 at a time: a window of 16 kept the
   * walk in one folder and the other worker idle (measured, the workers took turns); a wider one lets the
   * walk reach the next folder, and the other worker, while the last one's batches are still written.
   */
  readonly batchWindow?: number
  /**
   * Optional ("Preserve file share permissions"): gives an existing item ('' = the destination root) its
   * own permissions (`grants`), or makes it inherit from its parent again (null). Reads the item's current
   * permissions first and changes only what differs. Destinations without it (file://) change nothing;
   * the engine records the mapped permissions in the item report instead.
   */
  applyPermissions?(relPath: string, isFolder: boolean, grants: readonly Grant[] | null, signal: AbortSignal): Promise<PermissionResult>
  /**
   * Optional: makes durable what the puts so far left for later (file://: the names its batches renamed
   * into place, one flush for the task instead of one per batch). The engine calls it once a pass has
   * copied everything, before the round can complete, and (best effort) when a pass ends early; it throws
   * a task-scope DestinationError when it cannot (the round retries, and the next call flushes again).
   */
  settle?(signal: AbortSignal): Promise<void>
  close(): Promise<void>
}

export interface PermissionResult {
  /** 'unique': the item has its own permissions and some were changed now; 'reset': it inherits again; 'none': nothing changed */
  change: 'none' | 'unique' | 'reset'
  /** the item has its own permissions after the call */
  unique: boolean
  /** the grants given, with the destination principal (UPN or group e-mail) */
  granted: Array<{ grant: Grant; to: string }>
  /** the grants whose principal could not be resolved, and why */
  unmapped: Array<{ grant: Grant; why: string }>
  /** why nothing was done, where that is not an error (the library root keeps its permissions) */
  note?: string
}

export interface BatchFile {
  relPath: string
  source: SourceFile
  overwrite: boolean
}

export interface BatchPutOptions {
  signal: AbortSignal
  beforeCommit?: () => void
}

/** A file's outcome in a batch: what putFile would have returned, or the error it would have thrown. */
export type BatchOutcome = { ok: true; result: PutResult } | { ok: false; error: unknown }

/** What an error means for the task: `item` fails one item; `task` hits every item (the task waits and retries). */
export type FailureScope = 'item' | 'task'

export class DestinationError extends Error {
  override name = 'DestinationError'
  constructor(
    message: string,
    readonly scope: FailureScope,
    /** Migration Manager-style hex code where one fits, else a short symbolic code. */
    readonly code: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}
