/**
 * The status a user sees, derived by one pure function from the task's records: its spec (creator),
 * the admin commands (anyone, folded by HLC), the claims and the outcomes (each written only by the
 * agent they name). Every replica computes the same view from the same document, so a pause, a cancel
 * and a completion that race are never decided by a coin flip.
 *
 * Precedence, and why:
 *   1. the current round reached an end (completed/failed)  → that end: the work is done, a late pause
 *      or cancel of a finished round has nothing left to stop;
 *   2. cancelled                                           → cancelled (holders stop within a heartbeat);
 *   3. paused                                              → paused (the holder releases its slot);
 *   4. a holder claims the current round                   → scanning / in-progress from its outcome;
 *   5. otherwise                                           → queued.
 */
import type { ClaimRecord, CommandRecord, Counts, OutcomeRecord, TaskSpec } from './records.ts'
import { ZERO_COUNTS } from './records.ts'
import { foldTaskIntent, type TaskIntent } from './intent.ts'
import { applyEdit, editedFields, readTaskEdit } from './task-edit.ts'
import { currentHolder, winningClaim } from './lease.ts'
import { effectiveSettings, type Settings } from './settings.ts'
import type { TaskJson, TaskStatus, TaskView, TimelineEntry } from './views.ts'
import type { Assessment } from './assessment.ts'

export interface TaskRecords {
  spec: TaskSpec
  commands: readonly CommandRecord[]
  claims: readonly ClaimRecord[]
  outcomes: readonly OutcomeRecord[]
}

/** The outcome that speaks for a round: an end beats progress; then higher epoch; then the later checkpoint. */
export function roundOutcome(outcomes: readonly OutcomeRecord[], round: number): OutcomeRecord | undefined {
  let best: OutcomeRecord | undefined
  const endRank = (o: OutcomeRecord) => (o.phase === 'completed' ? 2 : o.phase === 'failed' ? 1 : 0)
  for (const o of outcomes) {
    if (o.round !== round) continue
    if (!best) {
      best = o
      continue
    }
    const d = endRank(o) - endRank(best)
    if (d > 0 || (d === 0 && (o.epoch > best.epoch || (o.epoch === best.epoch && (o.finishedAt ?? '') > (best.finishedAt ?? ''))))) best = o
  }
  return best
}

/** `scheduled`: the task's start time (`startAt`) is still ahead. */
export function deriveStatus(intent: TaskIntent, holder: ClaimRecord | undefined, outcome: OutcomeRecord | undefined, scheduled = false): TaskStatus {
  if (outcome?.phase === 'completed') return 'completed'
  if (outcome?.phase === 'failed') return 'failed'
  if (intent.cancelled) return 'cancelled'
  if (intent.paused) return 'paused'
  if (holder) {
    const mine = outcome && outcome.agent === holder.agent ? outcome : undefined
    if (!mine || mine.phase === 'scanning') return 'scanning'
    return 'in-progress'
  }
  return scheduled ? 'scheduled' : 'queued'
}

/** What the derivation of a task's JSON decided, for the rest of its view. */
interface Derived {
  json: TaskJson
  intent: TaskIntent
  holder: ClaimRecord | undefined
  /** the spec with its edits applied */
  spec: TaskSpec
}

function derive(records: TaskRecords, nowMs: number): Derived {
  const { commands, claims, outcomes } = records
  const intent = foldTaskIntent(commands)
  const spec = applyEdit(records.spec, intent.edit)
  const round = intent.round
  const holder = currentHolder(claims, round)
  const outcome = roundOutcome(outcomes, round)
  const status = deriveStatus(intent, holder, outcome, spec.startAt !== undefined && Date.parse(spec.startAt) > nowMs)
  const ended = outcome && (outcome.phase === 'completed' || outcome.phase === 'failed')
  const agent = ended ? outcome.agent : (holder?.agent ?? winningClaim(claims)?.agent ?? outcome?.agent ?? null)
  let startedAt: string | null = null
  for (const o of outcomes) if (o.round === round && (startedAt === null || o.startedAt < startedAt)) startedAt = o.startedAt
  const counts: Counts = outcome ? pickCounts(outcome.counts) : { ...ZERO_COUNTS }
  const waitingReason = status === 'in-progress' || status === 'scanning' ? (outcome?.phase === 'waiting' ? outcome.waitingReason : null) : null
  const json: TaskJson = {
    id: spec.id,
    name: spec.name,
    source: spec.source,
    destination: { url: spec.destination.url, library: spec.destination.library, folder: spec.destination.folder },
    group: spec.group,
    status,
    agent,
    round,
    counts,
    bytes: outcome ? { total: outcome.bytes.total, migrated: outcome.bytes.migrated } : { total: 0, migrated: 0 },
    createdAt: spec.createdAt,
    startedAt,
    finishedAt: ended ? (outcome.finishedAt ?? null) : null,
    failureReason: outcome?.phase === 'failed' ? outcome.failureReason : null,
    waitingReason,
    archived: intent.archived,
    tags: intent.tags ?? spec.tags ?? [],
    startAt: spec.startAt ?? null,
  }
  return { json, intent, holder, spec }
}

/**
 * The contract's JSON of a task (`task list --json`) alone: what deriveTask gives, without the timeline,
 * settings and item holders, for listing thousands of tasks at once.
 */
export function deriveTaskJson(records: TaskRecords, nowMs = Date.now()): TaskJson {
  return derive(records, nowMs).json
}

export function deriveTask(records: TaskRecords, globals: Settings, nowMs = Date.now()): TaskView {
  const { claims, outcomes } = records
  const { json, intent, holder, spec } = derive(records, nowMs)
  const itemHolders: Record<number, string[]> = {}
  for (const o of outcomes) {
    if (o.phase !== 'completed' && o.phase !== 'failed') continue
    itemHolders[o.round] = [...new Set([...(itemHolders[o.round] ?? []), o.agent, ...o.itemReplicas])]
  }
  return {
    ...json,
    epoch: holder?.epoch ?? 0,
    settings: effectiveSettings(globals, spec.settings),
    overrides: { ...spec.settings },
    timeline: timeline(spec, intent, claims, outcomes),
    itemHolders,
    assessment: latestAssessment(outcomes),
  }
}

/**
 * The latest scan's figures: those of the newest round that has them (a rerun still queued or scanning
 * shows the previous scan, like Migration Manager's "Last scanned"), from that round's speaking outcome.
 */
export function latestAssessment(outcomes: readonly OutcomeRecord[]): Assessment | null {
  const rounds = [...new Set(outcomes.filter((o) => o.assessment).map((o) => o.round))].sort((a, b) => b - a)
  for (const r of rounds) {
    const a = roundOutcome(outcomes, r)?.assessment
    if (a) return a
  }
  return null
}

function pickCounts(c: Counts): Counts {
  return { scanned: c.scanned, toMigrate: c.toMigrate, migrated: c.migrated, unchanged: c.unchanged, skipped: c.skipped, failed: c.failed }
}

const COMMAND_WORDS: Record<string, string> = {
  'task.pause': 'paused',
  'task.resume': 'resumed',
  'task.rerun': 'rerun requested',
  'task.cancel': 'cancelled',
  'task.archive': 'archived',
  'task.unarchive': 'unarchived',
  'task.delete': 'deleted',
  'task.tags': 'tags set',
}

function editWords(value: unknown): string {
  const e = readTaskEdit(value)
  return e ? `edited: ${editedFields(e).join(', ')}` : 'edit ignored (invalid)'
}

function timeline(spec: TaskSpec, intent: TaskIntent, claims: readonly ClaimRecord[], outcomes: readonly OutcomeRecord[]): TimelineEntry[] {
  const out: TimelineEntry[] = [{ at: spec.createdAt, what: 'created' }]
  for (const c of intent.history) {
    const ms = Number(c.hlc.slice(0, 15))
    const what = c.kind === 'task.edit' ? editWords(c.value) : (COMMAND_WORDS[c.kind] ?? c.kind)
    out.push({ at: Number.isFinite(ms) ? new Date(ms).toISOString() : spec.createdAt, what })
  }
  for (const c of claims) {
    const tookOver = claims.some((o) => o.agent !== c.agent && o.round === c.round && o.epoch < c.epoch)
    const verb = c.released ? 'released by' : tookOver ? 'taken over by' : 'claimed by'
    out.push({ at: c.at, what: `${verb} ${c.agent} (round ${c.round}, epoch ${c.epoch})` })
  }
  for (const o of outcomes) {
    if (o.phase === 'completed' || o.phase === 'failed') out.push({ at: o.finishedAt ?? o.startedAt, what: `round ${o.round} ${o.phase} on ${o.agent}` })
    else out.push({ at: o.startedAt, what: `round ${o.round} started on ${o.agent}` })
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
}
