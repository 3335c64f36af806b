/**
 * The ledger's layout (map names, composite keys) and the checks of one record short of its signature:
 * its schema, that its key says what it says, and whose signature it must carry over which bytes (the
 * canonical bytes computed once per check). Split out of ledger.ts (which verifies the signature and
 * caches the verdict), so that file keeps to the reading, indexing and writing of the maps.
 */
import {
  agentRecordSchema,
  batchSchema,
  claimSchema,
  commandSchema,
  outcomeSchema,
  signingBytes,
  taskSpecSchema,
} from './records.ts'
import { parseHlc } from './hlc.ts'

export const MAP_NAMES = ['tasks', 'commands', 'claims', 'outcomes', 'agents', 'batches'] as const
export type MapName = (typeof MAP_NAMES)[number]

/** Composite keys. Separators are `/`; ids never contain one (their schemas forbid it). */
export const claimKey = (taskId: string, agentId: string) => `${taskId}/${agentId}`
export const outcomeKey = (taskId: string, round: number, agentId: string) => `${taskId}/${round}/${agentId}`
export const commandKey = (agentId: string, hlc: string) => `${agentId}/${hlc}`
export const batchKey = (agentId: string, batchId: string) => `${agentId}/${batchId}`

/**
 * The tasks a change to the ledger touched: a task by its key, a claim or an outcome by the task id its key
 * starts with, a task command by its target (read through `command`, so an invalid one touches nothing).
 */
export function tasksTouched(change: { map: string; keys: readonly string[] }, command: (key: string) => { kind: string; target: string } | undefined): Set<string> {
  const ids = new Set<string>()
  for (const key of change.keys) {
    if (change.map === 'tasks') ids.add(key)
    else if (change.map === 'claims' || change.map === 'outcomes') ids.add(key.split('/')[0]!)
    else if (change.map === 'commands') {
      const cmd = command(key)
      if (cmd?.kind.startsWith('task.')) ids.add(cmd.target)
    }
  }
  return ids
}

/** A signature to verify: `signature` (base64) by `agentId` over `data`. */
export interface SignatureCheck {
  agentId: string
  data: Uint8Array
  sig: string
}

/** A task signed through a batch: SHA-256 of `data` must be hash number `index` of the batch under `batch`. */
export interface BatchCheck {
  agentId: string
  data: Uint8Array
  batch: string
  index: number
}

const SCHEMAS = { tasks: taskSpecSchema, commands: commandSchema, claims: claimSchema, outcomes: outcomeSchema, agents: agentRecordSchema, batches: batchSchema }

/** Everything but the signature: a record that passes still needs its signature (or its batch) checked before it is read. */
export function checkRecord(map: MapName, key: string, raw: unknown): ({ ok: true } & (SignatureCheck | BatchCheck)) | { ok: false; reason: string } {
  const parsed = SCHEMAS[map].safeParse(raw)
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }
  const r = parsed.data as Record<string, unknown>
  // The key must say what the record says, so a record cannot be planted under another's key.
  const expected =
    map === 'tasks' ? (r.id as string)
    : map === 'commands' ? commandKey(r.by as string, r.hlc as string)
    : map === 'claims' ? claimKey(r.taskId as string, r.agent as string)
    : map === 'outcomes' ? outcomeKey(r.taskId as string, r.round as number, r.agent as string)
    : map === 'batches' ? batchKey(r.by as string, r.id as string)
    : (r.id as string)
  if (expected !== key) return { ok: false, reason: `key ${key} does not match the record (${expected})` }
  if (map === 'commands' && parseHlc(r.hlc as string)?.node !== r.by) return { ok: false, reason: `clock ${String(r.hlc)} is not of its writer ${String(r.by)}` }
  if (map === 'batches' && base64Bytes(r.hashes as string) % 32 !== 0) return { ok: false, reason: 'hashes: not a list of SHA-256 hashes' }
  // Every record is signed by the agent it names as its writer: a task by its creator, a command by
  // its issuer, a claim, an outcome or an agent entry by that agent.
  const agentId = (map === 'agents' ? r.id : map === 'tasks' ? r.createdBy : map === 'commands' || map === 'batches' ? r.by : r.agent) as string
  if (map === 'tasks') {
    // Signed alone or through a batch of its creator's, never both or neither.
    const inBatch = r.batch !== undefined || r.batchIndex !== undefined
    if (inBatch === (r.sig !== undefined) || (inBatch && (r.batch === undefined || r.batchIndex === undefined))) {
      return { ok: false, reason: 'a task carries either its own signature or a batch and its index' }
    }
    // the batch is looked for among its creator's only: the key names whose it must be
    if (inBatch) return { ok: true, agentId, data: signingBytes(r), batch: batchKey(agentId, r.batch as string), index: r.batchIndex as number }
  }
  if (typeof r.sig !== 'string') return { ok: false, reason: 'sig: Required' }
  return { ok: true, agentId, data: signingBytes(r), sig: r.sig }
}

/** How many bytes a base64 string decodes to (-1 when its length is not a multiple of 4). */
function base64Bytes(b64: string): number {
  if (b64.length % 4 !== 0) return -1
  return (b64.length / 4) * 3 - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0)
}
