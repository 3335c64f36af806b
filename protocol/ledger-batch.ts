/**
 * Tasks signed in batches (records.ts batchSchema): the writer hashes each task's canonical bytes and signs
 * the list once; a reader checks a task by comparing its hash with the batch's entry at its index. Split
 * out of ledger.ts, which decides when to write a batch and caches what it reads.
 */
import crypto from 'node:crypto'
import { MAX_BATCH_TASKS, SCHEMA_VERSION, signingBytes, taskSpecSchema, type TaskSpec } from './records.ts'
import { batchKey } from './ledger-validate.ts'

export { MAX_BATCH_TASKS }

function sha256(data: Uint8Array): Buffer {
  return crypto.createHash('sha256').update(data).digest()
}

/** A batch's tasks, parsed, and the unsigned body of the batch record that lists their hashes. */
export function batchOf(agentId: string, specs: readonly object[]): { key: string; tasks: TaskSpec[]; body: { id: string; by: string; hashes: string } } {
  const id = (specs[0] as { id: string }).id
  const key = batchKey(agentId, id)
  const tasks = specs.map((s, i) => taskSpecSchema.parse({ ...s, createdBy: agentId, v: SCHEMA_VERSION, batch: id, batchIndex: i }) as TaskSpec)
  const hashes = Buffer.concat(tasks.map((r) => sha256(signingBytes(r))))
  return { key, tasks, body: { id, by: agentId, hashes: hashes.toString('base64') } }
}

/** Whether `data` (a task's canonical bytes) is entry `index` of the decoded hash list. */
export function isEntry(hashes: Uint8Array, index: number, data: Uint8Array): boolean {
  const at = index * 32
  return at + 32 <= hashes.byteLength && sha256(data).equals(hashes.subarray(at, at + 32))
}
