/**
 * Presence messages: each agent's ephemeral heartbeat on the presence topic. Never stored in the ledger,
 * so an idle fleet adds nothing to it. Loose objects keep fields a newer agent adds.
 */
import { z } from 'zod'
import { agentIdSchema } from './records.ts'

export const PRESENCE_VERSION = 1

const multiaddrText = z.string().min(1).max(512)

const knownPeerSchema = z
  .object({
    id: agentIdSchema,
    addrs: z.array(multiaddrText).max(16),
  })
  .loose()

const presenceShape = z.object({
  v: z.number().int().min(1),
  id: agentIdSchema,
  name: z.string().min(1).max(255),
  host: z.string().max(255),
  group: z.string().min(1).max(255),
  version: z.string().max(64),
  capacity: z.number().int().min(0).max(10_000),
  running: z.number().int().min(0).max(1_000_000),
  /** bytes per second over the last few seconds */
  throughput: z.number().min(0),
  /** the sender's heartbeat interval: receivers judge liveness against it */
  intervalMs: z.number().int().min(50).max(600_000),
  /** increases with every heartbeat of one run of the agent */
  seq: z.number().int().min(0),
  /** the sender's own dialable addresses (peer exchange) */
  addrs: z.array(multiaddrText).max(16),
  /** peers the sender is connected to, with their addresses (peer exchange) */
  peers: z.array(knownPeerSchema).max(256),
  /** fields set by extensions (scheduler: held tasks, engine: backoff, …) */
  fields: z.record(z.string().max(64), z.unknown()),
})
export const presenceSchema = presenceShape.loose()
export type PresenceMessage = z.infer<typeof presenceShape>
export type KnownPeer = z.infer<typeof knownPeerSchema>

export function encodePresence(p: PresenceMessage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(p))
}

export function decodePresence(bytes: Uint8Array): { ok: true; value: PresenceMessage } | { ok: false; reason: string } {
  let raw: unknown
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    return { ok: false, reason: 'not JSON' }
  }
  const parsed = presenceSchema.safeParse(raw)
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }
  return { ok: true, value: parsed.data }
}
