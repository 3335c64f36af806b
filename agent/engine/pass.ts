/**
 * One pass over the source: walk (depth-first, explicit stack, one folder in memory at a time), decide,
 * compare with the destination (one list() per folder, after the destination's optional prefetch), copy with bounded concurrency, record. A pass
 * ends normally, or throws TaskScopeError (every item would fail: the round waits and retries) or
 * RoundAbortedError (lease lost, cancelled).
 */
import path from 'node:path'
import { CATEGORIES, ERROR_CODES } from '../../protocol/classify.ts'
import { compileFilters } from '../../protocol/filters.ts'
import { DestinationError, type DestinationEntry } from './destination.ts'
import { decideFolder, type Decision, type FolderContext } from './decide.ts'
import { readSourceFolder, type SourceEntry } from './scan.ts'
import { createScanner, releaseScanner, type Scanner } from './scan-pool.ts'
import { isCifsMount } from './scan-cifs.ts'
import type { Tally } from './tally.ts'
import { RoundAbortedError, TaskScopeError, type EngineDeps, type EngineJob, type EngineTuning } from './types.ts'
import { copyFile, leaseCheck, settleWithoutCopy, type CopyContext } from './copy.ts'
import { batcherFor } from './copy-batch.ts'
import { asTaskScope, checkSourceRoot } from './task-scope.ts'
import { createOwnerResolver } from './owner.ts'
import { createPermissionReader } from './permission-reader.ts'
import { createPermissionStep, type PermissionStep, type PermissionStepResult } from './permissions-step.ts'
import { PrincipalTally, type Grant } from '../../protocol/permissions.ts'
import { checkDestination, readRootFacts } from './assess.ts'
import { OWNERS_MAX, PRINCIPALS_MAX } from '../../protocol/records.ts'

/**
 * How long a pass that ends early (lease lost, cancelled, failed) waits for its best-effort settle(): a
 * share that hangs must not hold up the end of the round.
 */
const SETTLE_ON_EXIT_MS = 5_000

/** One resolver per process: owners' names are looked up once per uid, not per round. */
const ownerResolver = createOwnerResolver()

/**
 * The login names of the owners a pass met, sorted, at most OWNERS_MAX: what the user mapping must
 * resolve (`usermap check`). A uid with no name (a deleted account) is named by its number.
 */
async function ownerNames(uids: ReadonlySet<number>): Promise<{ names: string[]; truncated: boolean }> {
  const names = new Set<string>()
  for (const uid of uids) names.add((await ownerResolver(uid)) ?? `uid ${uid}`)
  const sorted = [...names].filter((n) => n.length <= 256).sort()
  return { names: sorted.slice(0, OWNERS_MAX), truncated: sorted.length > OWNERS_MAX }
}

interface StackItem extends FolderContext {
  /** Source path relative to the source root, '/'-separated; '' = root. */
  srcRel: string
  localPath: string
  /** The folder's own decision (null for the root). */
  self: Decision | null
  /** The folder already exists at the destination (from the parent's listing). */
  destExists: boolean
  /** Source permissions its children compare with: the parent's until the folder is entered, then its own. */
  grants: Grant[]
}

export async function runPass(job: EngineJob, deps: EngineDeps, tuning: EngineTuning, tally: Tally): Promise<void> {
  // Taken first, so a new worker boots while the source and destination are checked.
  const scanner = createScanner({ stallMs: tuning.listingStallMs, ...(deps.scanWorker ? { workerUrl: deps.scanWorker } : {}) })
  try {
    await walk(job, deps, tuning, tally, scanner)
    tally.owners = await ownerNames(tally.ownerUids)
    const met = tally.permissionPrincipals
    if (met) tally.principals = { list: met.list(), truncated: met.truncated }
  } finally {
    releaseScanner(scanner)
  }
}

async function walk(job: EngineJob, deps: EngineDeps, tuning: EngineTuning, tally: Tally, scanner: Scanner): Promise<void> {
  const { destination, signal } = deps
  const scanOnly = job.settings.ScanOnly
  const filter = compileFilters(job.settings)
  const replace = job.settings.MigrateFilesAndFoldersWithInvalidChars

  await checkSourceRoot(job.sourceRoot)
  const cifs = await isCifsMount(job.sourceRoot)
  // before the walk lists the root, which would refresh its access time
  tally.assessor.root = await readRootFacts(job.sourceRoot, cifs)
  if (scanOnly) {
    // Migration Manager's scan checks write access to the destination: a failed check is the readiness reason
    tally.assessor.destinationCheck = await checkDestination(destination, signal)
  } else {
    try {
      await destination.open(signal)
    } catch (err) {
      throw asTaskScope(err, 'destination cannot be opened')
    }
    // one read of the whole destination where the destination can (SharePoint), so listings cost no request each
    try {
      await destination.prefetch?.('', signal)
    } catch (err) {
      throw asTaskScope(err, 'destination cannot be read')
    }
  }
  const met = job.settings.PreserveUserPermissionsForFileShare ? (tally.permissionPrincipals = new PrincipalTally(PRINCIPALS_MAX)) : null
  const perms = met
    ? createPermissionStep({ reader: createPermissionReader({ cifs }), destination, signal, apply: !scanOnly, warn: (o, m) => deps.logger.warn({ taskId: job.taskId, ...o }, m), met: (g) => met.add(g) })
    : null
  // Migration Manager's default: folders only, files inherit from their folder
  const filePerms = perms !== null && job.settings.FilePermissions
  let rootGrants: Grant[] = []
  if (perms) {
    // the task's root is compared with nothing: its own permissions apply to the destination root
    const r = await perms.item(job.sourceRoot, '', true, [], false)
    rootGrants = r.grants
    if (r.note) deps.logger.info({ taskId: job.taskId, source: job.spec.source }, `task root: ${r.note}`)
  }
  // Records this round already holds (a takeover resumes a round another holder started): files it
  // copied stay "Migrated" instead of turning "Unchanged".
  const resumed = !scanOnly && (await deps.items.hasRound(job.taskId, job.round))
  tally.phase = scanOnly ? 'scanning' : 'in-progress'

  const inflight = new InFlight()
  let fatal: unknown = null
  /** settle() was called at the end of the pass (else the pass ended early: settleOnExit) */
  let settleTried = false
  const copyCtx: CopyContext = { job, deps, tuning, tally, resumed, fail: (err) => { fatal ??= err }, beforeCommit: leaseCheck(deps), ownerOf: ownerResolver }
  const batcher = scanOnly ? null : batcherFor(copyCtx)
  const batchWindow = destination.batchWindow ?? tuning.taskConcurrency
  /** Puts a copy (one file or one batch) in flight once the task has room (`window`: copies at once). */
  const launch = async (copy: () => Promise<void>, window = tuning.taskConcurrency) => {
    if (inflight.count >= window) await inflight.below(window)
    guard()
    inflight.add(copy().catch((err) => { fatal ??= err }))
  }
  const guard = () => {
    if (fatal) throw fatal
    if (signal.aborted) throw new RoundAbortedError('cancelled')
    if (!deps.leaseHeld()) throw new RoundAbortedError('lease lost')
    const drain = deps.draining?.()
    if (drain) throw new RoundAbortedError(drain)
  }

  const stack: StackItem[] = [
    { srcRel: '', localPath: job.sourceRoot, destRel: '', atRoot: true, underHidden: false, state: 'ok', blockedBy: null, self: null, destExists: !scanOnly, grants: rootGrants },
  ]
  try {
    while (stack.length > 0) {
      guard()
      const folder = stack.pop()!
      let entries: SourceEntry[]
      try {
        // A subfolder must still be the folder its parent's listing saw: a link swapped in is not followed.
        entries = await readSourceFolder(folder.localPath, { cifs, scanner, expect: folder.self?.entry ?? null })
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err)
        // A listing given up for silence says so in words (scan-pool.ts LISTING_STALL_MS).
        // So does a folder swapped between listings (scan-list.js ECHANGED: "… it is now a symbolic link").
        const why = code === 'ETIMEDOUT' || code === 'ECHANGED' ? `${code}: ${(err as Error).message}` : code
        if (folder.self === null) throw new TaskScopeError(`source ${job.spec.source} cannot be read: ${why}`, ERROR_CODES.cannotAccessSource, { cause: err })
        // A folder that vanished or cannot be listed fails alone, unless the whole share went away.
        await checkSourceRoot(job.sourceRoot)
        const self = folder.self
        if (self.kind === 'migrate') {
          tally.end({ relSource: folder.srcRel, destination: deps.destination.displayPath(self.destRel), name: self.entry.name, size: 0, isFolder: true, status: scanOnly ? 'Scanned' : 'Failed', resultCategory: CATEGORIES.sourceReadError, message: `cannot list ${folder.localPath} (${why}); it and its contents were not migrated`, errorCode: ERROR_CODES.cannotAccessSource, readiness: 'error' })
        } else recordDecision(tally, self, folder.srcRel, deps.destination.displayPath(self.destRel ?? ''), scanOnly)
        continue
      }
      const ctx = await enterFolder(folder, job, deps, tally, scanOnly, resumed, perms)
      const decisions = decideFolder(ctx, entries, filter, replace, (rel) => destination.displayPath(rel))
      const listing = await listDestination(ctx, folder, decisions, job, deps, scanOnly)
      const subfolders: StackItem[] = []
      for (const d of decisions) {
        tally.seen()
        tally.assessor.entry(d.entry.kind, d.entry.size, d.entry.mtimeMs, d.destRel === null ? null : destination.displayPath(d.destRel))
        if (d.entry.uid !== null) tally.ownerUids.add(d.entry.uid)
        const rel = folder.srcRel === '' ? d.entry.name : `${folder.srcRel}/${d.entry.name}`
        if (d.entry.kind === 'folder') {
          subfolders.push({
            srcRel: rel,
            localPath: d.entry.localPath,
            destRel: d.destRel ?? '',
            atRoot: false,
            underHidden: ctx.underHidden || d.entry.hidden,
            state: d.kind === 'migrate' ? 'ok' : d.kind === 'fail' ? 'failed' : 'skipped',
            blockedBy: d.kind === 'migrate' ? null : ctx.blockedBy ?? d.entry.localPath,
            self: d,
            destExists: d.kind === 'migrate' && listing?.get(lastSegment(d.destRel))?.isFolder === true,
            grants: folder.grants,
          })
          continue
        }
        if (d.kind !== 'migrate' || scanOnly) {
          const p = filePerms && d.kind === 'migrate' ? await perms!.item(d.entry.localPath, d.destRel, false, folder.grants, true) : null
          recordDecision(tally, p ? withPermissions(d, p) : d, rel, destination.displayPath(d.destRel ?? ''), scanOnly, p?.warning)
          if (d.kind === 'migrate') tally.addBytesTotal(d.entry.size)
          continue
        }
        tally.addBytesTotal(d.entry.size)
        const existing = listing?.get(lastSegment(d.destRel)) ?? null
        if (filePerms) {
          // each file's permissions are set once it is at the destination (copied or already there)
          const parent = folder.grants
          await launch(() => copyFile(copyCtx, d, rel, existing, undefined, (isNew) => perms!.item(d.entry.localPath, d.destRel, false, parent, isNew)))
          const t = tally.tick()
          if (t) await t
          continue
        }
        const verdict = settleWithoutCopy(copyCtx, d, rel, existing)
        if (verdict === null) {
          // settled without a copy (unchanged, destination newer, a folder in the way): recorded
        } else if (batcher && verdict !== 'check' && d.entry.size <= batcher.maxFileSize) {
          if (batcher.add({ d, rel, existing, overwrite: verdict === 'replace' })) await launch(() => batcher.take(), batchWindow)
        } else {
          await launch(() => copyFile(copyCtx, d, rel, existing))
        }
        const t = tally.tick()
        if (t) await t
      }
      // A batch never spans folders: the destination writes one folder from one worker (file-pool.ts).
      if (batcher && batcher.pending > 0) await launch(() => batcher.take(), batchWindow)
      // Reverse so the stack pops folders in name order: the walk order is stable round to round.
      for (let i = subfolders.length - 1; i >= 0; i--) stack.push(subfolders[i]!)
      await tally.tick()
    }
    // Every item is found; what is left is copies in flight. Time left can trust the totals from here.
    tally.walked = true
    tally.emitProgress(null)
    await inflight.below(1)
    guard()
    // What the destination left for later (file://: its batches' new names) is on disk before the round
    // can say it is completed.
    if (!scanOnly) {
      settleTried = true
      try {
        await destination.settle?.(signal)
      } catch (err) {
        throw asTaskScope(err, 'the destination could not make the copies durable')
      }
    }
  } finally {
    await inflight.below(1)
    // A pass that ends early still flushes the names it renamed, as it would have after each batch.
    if (!settleTried && !scanOnly && destination.settle) await settleOnExit(destination.settle.bind(destination))
    await tally.flush()
  }
}

/** settle() on the way out of a pass that did not finish: best effort, at most SETTLE_ON_EXIT_MS. */
async function settleOnExit(settle: (signal: AbortSignal) => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    settle(AbortSignal.timeout(SETTLE_ON_EXIT_MS)).catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, SETTLE_ON_EXIT_MS))),
  ])
  clearTimeout(timer)
}

/**
 * Copies in flight, as a count and its waiters: Promise.race over the set cost a reaction per copy in
 * flight on every file (measured ~5 µs a file at 16 in flight, and the reactions pile up on slow copies).
 * The promises added never reject (copyFile's errors go to ctx.fail).
 */
class InFlight {
  private size = 0

  get count(): number {
    return this.size
  }
  private waiters: Array<() => void> = []

  add(p: Promise<void>): void {
    this.size++
    void p.finally(() => {
      this.size--
      const ws = this.waiters
      this.waiters = []
      for (const w of ws) w()
    })
  }

  /** Resolves once fewer than `n` are in flight. */
  async below(n: number): Promise<void> {
    while (this.size >= n) await new Promise<void>((resolve) => this.waiters.push(resolve))
  }
}

/**
 * Records the folder's own outcome and creates it at the destination; with permissions preserved, sets
 * the folder's (folder.grants becomes its own, for its children to compare with).
 */
async function enterFolder(folder: StackItem, job: EngineJob, deps: EngineDeps, tally: Tally, scanOnly: boolean, resumed: boolean, perms: PermissionStep | null): Promise<FolderContext> {
  const d = folder.self
  if (d === null) return folder
  const name = d.entry.name
  const dest = deps.destination.displayPath(d.destRel ?? '')
  const permissionsOf = async (isNew: boolean): Promise<PermissionStepResult | null> => {
    if (!perms || d.kind !== 'migrate') return null
    const r = await perms.item(folder.localPath, d.destRel, true, folder.grants, isNew)
    folder.grants = r.grants
    return r
  }
  if (d.kind !== 'migrate' || scanOnly) {
    const p = await permissionsOf(true)
    recordDecision(tally, p ? withPermissions(d, p) : d, folder.srcRel, dest, scanOnly, p?.warning)
    return folder
  }
  if (folder.destExists) {
    const p = await permissionsOf(false)
    const prior = resumed ? await deps.items.get(job.taskId, job.round, tally.sourcePath(folder.srcRel)) : null
    const status = prior?.status === 'Migrated' ? 'Migrated' : 'Unchanged'
    const message = noted(d.message || (status === 'Migrated' ? 'created earlier in this round (before a takeover)' : 'folder already at the destination'), p)
    tally.end({ relSource: folder.srcRel, destination: dest, name, size: 0, isFolder: true, status, resultCategory: status === 'Migrated' ? CATEGORIES.success : CATEGORIES.unchanged, message, errorCode: '', readiness: d.renamed || p?.warning ? 'warning' : 'ready' })
    return folder
  }
  try {
    await deps.destination.ensureFolder(d.destRel, deps.signal)
  } catch (err) {
    if (err instanceof DestinationError && err.scope === 'task') throw asTaskScope(err, 'destination')
    const message = err instanceof Error ? err.message : String(err)
    tally.end({ relSource: folder.srcRel, destination: dest, name, size: 0, isFolder: true, status: 'Failed', resultCategory: CATEGORIES.destinationError, message: `cannot create the folder: ${message}`, errorCode: err instanceof DestinationError ? err.code : '', readiness: 'error' })
    return { ...folder, state: 'failed', blockedBy: folder.localPath }
  }
  const p = await permissionsOf(true)
  tally.end({ relSource: folder.srcRel, destination: dest, name, size: 0, isFolder: true, status: 'Migrated', resultCategory: CATEGORIES.success, message: noted(d.message, p), errorCode: '', readiness: d.renamed || p?.warning ? 'warning' : 'ready' })
  return folder
}

/** A message with the permission step's words added. */
function noted(message: string, p: Pick<PermissionStepResult, 'note'> | null): string {
  if (!p?.note) return message
  return message ? `${message}; ${p.note}` : p.note
}

/** A decision whose record carries the permission step's words (a scan-only round, a file's own permissions). */
function withPermissions(d: Decision, p: PermissionStepResult): Decision {
  return p.note ? { ...d, message: noted(d.message, p) } : d
}

async function listDestination(ctx: FolderContext, folder: StackItem, decisions: Decision[], job: EngineJob, deps: EngineDeps, scanOnly: boolean): Promise<Map<string, DestinationEntry> | null> {
  if (scanOnly || ctx.state !== 'ok' || !folder.destExists) return null
  if (!decisions.some((d) => d.kind === 'migrate')) return null
  try {
    return await deps.destination.list(ctx.destRel, deps.signal)
  } catch (err) {
    throw asTaskScope(err, `destination folder ${deps.destination.displayPath(ctx.destRel)} cannot be listed`)
  }
}

/** `warning`: something beside the decision deserves a look (the permission step's unmapped principals). */
function recordDecision(tally: Tally, d: Decision, rel: string, dest: string, scanOnly: boolean, warning = false): void {
  const isFolder = d.entry.kind === 'folder'
  if (d.kind === 'migrate') {
    tally.end({ relSource: rel, destination: dest, name: d.entry.name, size: d.entry.size, isFolder, status: 'Scanned', resultCategory: 'Ready', message: d.message, errorCode: '', readiness: d.renamed || warning ? 'warning' : 'ready' })
    return
  }
  const status = scanOnly ? 'Scanned' : d.kind === 'fail' ? 'Failed' : 'Skipped'
  tally.end({ relSource: rel, destination: d.destRel === null ? '' : dest, name: d.entry.name, size: d.entry.size, isFolder, status, resultCategory: d.category, message: d.message, errorCode: d.errorCode, readiness: d.readiness })
  // Scan-only: keep the counts' meaning (skipped = left out by a filter or a rule).
  if (scanOnly && d.kind === 'skip') {
    tally.counts.skipped++
    tally.counts.toMigrate--
  }
}

function lastSegment(rel: string | null): string {
  if (!rel) return ''
  const i = rel.lastIndexOf('/')
  return i < 0 ? rel : rel.slice(i + 1)
}
