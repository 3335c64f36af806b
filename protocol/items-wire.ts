/**
 * The item-results protocol: a holder pushes a round's item records to the agents chosen to keep copies,
 * and an exporting agent pulls what it lacks, paged, in bounded memory. Frames are length-prefixed JSON,
 * validated on arrival (peer data is untrusted).
 */
import { z } from 'zod'
import { taskIdSchema } from './records.ts'

export const ITEMS_PROTOCOL = '/mmesh/items/1.0.0'
/** Records per frame: keeps a frame well under the size limit for typical paths. */
export const ITEMS_PAGE = 500
export const MAX_ITEMS_FRAME = 4 * 1024 * 1024

const requestShape = z.discriminatedUnion('op', [
  z.object({ op: z.literal('push'), taskId: taskIdSchema, round: z.number().int().min(0).max(1e6) }),
  z.object({
    op: z.literal('pull'),
    taskId: taskIdSchema,
    round: z.number().int().min(0).max(1e6),
    after: z.string().max(8192).nullable(),
    limit: z.number().int().min(1).max(10_000_000),
  }),
  z.object({ op: z.literal('rounds'), taskId: taskIdSchema }),
  /** the newest failed records of a round (at most 10), for the fleet view's latest failures; `failed`: the count the asker knows */
  z.object({ op: z.literal('failures'), taskId: taskIdSchema, round: z.number().int().min(0).max(1e6), failed: z.number().int().min(0).max(1e12) }),
])
export type ItemsRequest = z.infer<typeof requestShape>

const frameShape = z.discriminatedUnion('t', [
  z.object({ t: z.literal('records'), records: z.array(z.unknown()).max(ITEMS_PAGE * 2) }),
  z.object({ t: z.literal('done'), count: z.number().int().min(0) }),
  z.object({ t: z.literal('rounds'), rounds: z.array(z.number().int().min(0)).max(100_000) }),
  z.object({ t: z.literal('error'), message: z.string().max(1000) }),
])
export type ItemsFrame = z.infer<typeof frameShape>

const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true })

export function encodeItemsMessage(m: ItemsRequest | ItemsFrame): Uint8Array {
  return enc.encode(JSON.stringify(m))
}

function decodeWith<T>(schema: z.ZodType<T>, bytes: Uint8Array): { ok: true; value: T } | { ok: false; reason: string } {
  let raw: unknown
  try {
    raw = JSON.parse(dec.decode(bytes))
  } catch {
    return { ok: false, reason: 'frame is not UTF-8 JSON' }
  }
  const r = schema.safeParse(raw)
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }
}

export const decodeItemsRequest = (b: Uint8Array) => decodeWith(requestShape, b)
export const decodeItemsFrame = (b: Uint8Array) => decodeWith(frameShape, b)
