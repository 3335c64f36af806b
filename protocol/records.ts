/**
 * The records the ledger holds, one zod schema each. Every record carries a schema version `v`; readers
 * keep fields they do not know (loose objects), so agents of two versions can share a fleet.
 *
 * Who writes what (no key has two writers, see ARCHITECTURE.md). Every record is signed by the agent that
 * wrote it (a CLI command is written, so signed, by the agent it talks to):
 *   tasks[taskId]                      the task's creator, once, signed alone or through a batch
 *   batches[agentId/firstTaskId]       that agent only, once, signed: the hashes of tasks it wrote together
 *   commands[agentId/hlc]              any member, signed: admin intent (pause, resume, rerun, cancel, enable, disable, settings,
 *                                      user map, agent overrides and forgetting, group settings)
 *   claims[taskId/agentId]             that agent only, signed
 *   outcomes[taskId/round/agentId]     that agent only, signed: progress checkpoints and the round's end
 *   agents[agentId]                    that agent only, signed
 */
import { z } from 'zod'
import { settingsOverrideSchema } from './settings.ts'
import { HLC_PATTERN } from './hlc.ts'
import { assessmentSchema } from './assessment.ts'

export const SCHEMA_VERSION = 1
/** Tasks per signed batch (records.ts batchSchema): 1,000 hashes make a 43 KB record. */
export const MAX_BATCH_TASKS = 1000

/** Peer ids are base58btc strings; keep them bounded so a peer cannot bloat keys. */
export const agentIdSchema = z.string().min(8).max(128).regex(/^[1-9A-HJ-NP-Za-km-z]+$/)
export const taskIdSchema = z.string().min(4).max(64).regex(/^[A-Za-z0-9_-]+$/)
const isoSchema = z.string().max(40).refine((s) => Number.isFinite(Date.parse(s)), 'not an ISO time')
const shortText = z.string().max(1024)
const pathText = z.string().min(1).max(4096)

const destinationShape = z.object({
  url: z.string().min(1).max(2048),
  library: z.string().max(255).nullable(),
  folder: z.string().max(4096).nullable(),
})
export const destinationSchema = destinationShape.loose()
export type Destination = z.infer<typeof destinationShape>

const taskSpecShape = z.object({
  v: z.number().int().min(1),
  id: taskIdSchema,
  name: z.string().min(1).max(255),
  source: pathText,
  destination: destinationSchema,
  group: z.string().min(1).max(255),
  settings: settingsOverrideSchema,
  /** Run later: no agent claims the task before this time (ISO 8601, UTC); absent: at once */
  startAt: isoSchema.optional(),
  /** given at creation (protocol/tags.ts); absent when none, so older specs sign the same */
  tags: z.array(z.string().min(1).max(100)).max(50).optional(),
  createdAt: isoSchema,
  createdBy: agentIdSchema,
  /** Signed alone: its own signature. Signed in a batch (an import): absent, and `batch` says where. */
  sig: z.string().max(200).optional(),
  /** the id of its creator's signed batch (`batches[createdBy/batch]`) whose hash list holds this task's hash */
  batch: taskIdSchema.optional(),
  /** this task's place in that batch's hash list */
  batchIndex: z.number().int().min(0).max(MAX_BATCH_TASKS - 1).optional(),
})
export const taskSpecSchema = taskSpecShape.loose()
/** A task as the engine and the views use it; the signature (or batch) is checked by the ledger's reader. */
export type TaskSpec = z.infer<typeof taskSpecShape>

/**
 * One signature for up to MAX_BATCH_TASKS tasks written together (an import): the SHA-256 of each task's
 * canonical bytes, in order, concatenated and base64-encoded, signed by their creator. A reader verifies
 * this one signature and then only hashes each task, where it would otherwise verify an Ed25519 signature
 * per task (about 130 of the 150 µs a fresh agent spends on each imported task).
 */
const batchShape = z.object({
  v: z.number().int().min(1),
  /** the id of the batch's first task: unique, as task ids are */
  id: taskIdSchema,
  by: agentIdSchema,
  hashes: z.string().min(44).max(Math.ceil((MAX_BATCH_TASKS * 32) / 3) * 4).regex(/^[A-Za-z0-9+/]+=*$/),
  sig: z.string().max(200),
})
export const batchSchema = batchShape.loose()
export type BatchRecord = Omit<z.infer<typeof batchShape>, 'sig'> & { sig?: string }

export const COMMAND_KINDS = [
  'task.pause',
  'task.resume',
  'task.rerun',
  'task.cancel',
  'task.delete',
  'task.archive',
  'task.unarchive',
  'task.tags',
  'task.edit',
  'agent.enable',
  'agent.disable',
  'settings.set',
  /** the fleet's user mapping, whole (protocol/usermap.ts); target `usermap` */
  'usermap.set',
  // protocol/fleet-config.ts
  'agent.set',
  'agent.forget',
  'group.set',
] as const
export type CommandKind = (typeof COMMAND_KINDS)[number]

const commandShape = z.object({
  v: z.number().int().min(1),
  kind: z.enum(COMMAND_KINDS),
  /** Hybrid logical clock of the writer: orders commands the same way on every replica. Its exact form
   * (protocol/hlc.ts) is required: a free string such as "~" would sort after every real clock value. */
  hlc: z.string().max(200).regex(HLC_PATTERN, 'not a hybrid logical clock value (WALLMS-COUNTER-AGENT)'),
  by: agentIdSchema,
  /** task.* commands: the task; agent.*: the agent; settings.set: the key; group.set: the group. */
  target: z.string().min(1).max(255),
  value: z.unknown().optional(),
  sig: z.string().max(200),
})
export const commandSchema = commandShape.loose()
export type CommandRecord = Omit<z.infer<typeof commandShape>, 'sig'> & { sig?: string }

const claimShape = z.object({
  v: z.number().int().min(1),
  taskId: taskIdSchema,
  agent: agentIdSchema,
  epoch: z.number().int().min(1).max(1e9),
  round: z.number().int().min(0).max(1e6),
  /** Writer's wall time, informational only: liveness is judged on each reader's monotonic clock. */
  at: isoSchema,
  released: z.boolean(),
  sig: z.string().max(200),
})
export const claimSchema = claimShape.loose()
export type ClaimRecord = z.infer<typeof claimShape>

const countsShape = z.object({
  scanned: z.number().int().min(0),
  toMigrate: z.number().int().min(0),
  migrated: z.number().int().min(0),
  unchanged: z.number().int().min(0),
  skipped: z.number().int().min(0),
  failed: z.number().int().min(0),
})
export const countsSchema = countsShape.loose()
export type Counts = z.infer<typeof countsShape>
export const ZERO_COUNTS: Counts = { scanned: 0, toMigrate: 0, migrated: 0, unchanged: 0, skipped: 0, failed: 0 }

const bytesShape = z.object({ total: z.number().min(0), migrated: z.number().min(0) })
export const bytesSchema = bytesShape.loose()
export type ByteCounts = z.infer<typeof bytesShape>

/** Owners an outcome names at most: a share owned by more is named in part (ownersTruncated). */
export const OWNERS_MAX = 1000
/** Permission principals an outcome names at most, as owners (principalsTruncated past it). */
export const PRINCIPALS_MAX = 1000

/**
 * A principal of a source permission entry, as the user mapping's column A names it: a login, a group's
 * name or a SID; `group` null when the source does not say (an NTFS SID).
 */
const principalShape = z.object({ login: z.string().max(256), group: z.boolean().nullable() })
export const principalSchema = principalShape.loose()
export type SourcePrincipal = z.infer<typeof principalShape>

export const OUTCOME_PHASES = ['scanning', 'in-progress', 'waiting', 'completed', 'failed'] as const
export type OutcomePhase = (typeof OUTCOME_PHASES)[number]

const outcomeShape = z.object({
  v: z.number().int().min(1),
  taskId: taskIdSchema,
  round: z.number().int().min(0).max(1e6),
  agent: agentIdSchema,
  epoch: z.number().int().min(1).max(1e9),
  phase: z.enum(OUTCOME_PHASES),
  counts: countsSchema,
  bytes: bytesSchema,
  startedAt: isoSchema,
  finishedAt: isoSchema.nullable(),
  failureReason: shortText.nullable(),
  waitingReason: shortText.nullable(),
  /** Agents that hold a copy of this round's item results (besides the writer), for reports. */
  itemReplicas: z.array(agentIdSchema).max(8),
  /** What the round's scan measured (protocol/assessment.ts); on a round's end only, absent from older agents. */
  assessment: assessmentSchema.optional(),
  /**
   * The source owners the round's scan met (login names, as the user mapping's column A names them),
   * for `usermap check`; at most OWNERS_MAX (1,000), then `ownersTruncated`. Absent before a scan ended, and in
   * records of older agents.
   */
  owners: z.array(z.string().max(256)).max(OWNERS_MAX).optional(),
  ownersTruncated: z.boolean().optional(),
  /**
   * The distinct principals of the permission entries the scan read (PreserveUserPermissionsForFileShare),
   * sorted, at most PRINCIPALS_MAX, then `principalsTruncated`. Present (perhaps empty) only when the scan
   * read permissions, so its absence says they were not read; absent in records of older agents too.
   */
  principals: z.array(principalSchema).max(PRINCIPALS_MAX).optional(),
  principalsTruncated: z.boolean().optional(),
  sig: z.string().max(200),
})
export const outcomeSchema = outcomeShape.loose()
export type OutcomeRecord = z.infer<typeof outcomeShape>

const agentRecordShape = z.object({
  v: z.number().int().min(1),
  id: agentIdSchema,
  name: z.string().min(1).max(255),
  host: z.string().max(255),
  group: z.string().min(1).max(255),
  firstSeen: isoSchema,
  version: z.string().max(64),
  /**
   * What its owner lets it touch (protocol/access.ts), so any node can tell at `task add` whether some
   * agent of the fleet may run a task: its source roots (with --map targets), the source prefixes of its
   * maps, and its dest roots. Absent in records of agents older than this field.
   */
  access: z
    .object({
      sourceRoots: z.array(z.string().max(4096)).max(256),
      mapSources: z.array(z.string().max(4096)).max(256),
      destRoots: z.array(z.string().max(4096)).max(256),
    })
    .optional(),
  sig: z.string().max(200),
})
export const agentRecordSchema = agentRecordShape.loose()
export type AgentRecord = z.infer<typeof agentRecordShape>

/** The bytes a signature covers: the record without `sig`, keys sorted, so every reader rebuilds them. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([k, v]) => k !== 'sig' && v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

export function signingBytes(record: object): Uint8Array {
  return new TextEncoder().encode(canonicalJson(record))
}
