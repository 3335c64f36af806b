/**
 * The ledger's layout (map names, composite keys) and the checks of one record short of its signature:
 * its schema, that its key says what it says, and whose signature it must carry over which bytes (the
 * canonical bytes computed once per check). Split out of ledger.ts (which verifies the signature and
 * caches the verdict), so that file keeps to the reading, indexing and writing of the maps.
 */
import {
  agentRecordSchema,
  claimSchema,
  commandSchema,
  outcomeSchema,
  signingBytes,
  taskSpecSchema,
} from './records.ts'
import { parseHlc } from './hlc.ts'

export const MAP_NAMES = ['tasks', 'commands', 'claims', 'outcomes', 'agents'] as const
export type MapName = (typeof MAP_NAMES)[number]

/** Composite keys. Separators are `/`; ids never contain one (their schemas forbid it). */
export const claimKey = (taskId: string, agentId: string) => `${taskId}/${agentId}`
export const outcomeKey = (taskId: string, round: number, agentId: string) => `${taskId}/${round}/${agentId}`
export const commandKey = (agentId: string, hlc: string) => `${agentId}/${hlc}`

/** A signature to verify: `signature` (base64) by `agentId` over `data`. */
export interface SignatureCheck {
  agentId: string
  data: Uint8Array
  sig: string
}

const SCHEMAS = { tasks: taskSpecSchema, commands: commandSchema, claims: claimSchema, outcomes: outcomeSchema, agents: agentRecordSchema }

/** Everything but the signature: a record that passes still needs `check` verified before it is read. */
export function checkRecord(map: MapName, key: string, raw: unknown): ({ ok: true } & SignatureCheck) | { ok: false; reason: string } {
  const parsed = SCHEMAS[map].safeParse(raw)
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }
  const r = parsed.data as Record<string, unknown>
  // The key must say what the record says, so a record cannot be planted under another's key.
  const expected =
    map === 'tasks' ? (r.id as string)
    : map === 'commands' ? commandKey(r.by as string, r.hlc as string)
    : map === 'claims' ? claimKey(r.taskId as string, r.agent as string)
    : map === 'outcomes' ? outcomeKey(r.taskId as string, r.round as number, r.agent as string)
    : (r.id as string)
  if (expected !== key) return { ok: false, reason: `key ${key} does not match the record (${expected})` }
  if (map === 'commands' && parseHlc(r.hlc as string)?.node !== r.by) return { ok: false, reason: `clock ${String(r.hlc)} is not of its writer ${String(r.by)}` }
  // Every record is signed by the agent it names as its writer: a task by its creator, a command by
  // its issuer, a claim, an outcome or an agent entry by that agent.
  const agentId = (map === 'agents' ? r.id : map === 'tasks' ? r.createdBy : map === 'commands' ? r.by : r.agent) as string
  return { ok: true, agentId, data: signingBytes(r), sig: r.sig as string }
}
