/**
 * The Yjs state vectors peers carry in their heartbeats (`sv`, base64), decoded once per change: the
 * scheduler reads them to settle claims (§2 of INTERNALS.md) and the catch-up meter to count what we lack.
 * A field that is too long or does not decode reads as absent (a peer's heartbeat is untrusted).
 */
import * as Y from 'yjs'

export const MAX_SV_FIELD = 100_000

export function createStateVectorCache(): (id: string, text: unknown) => Map<number, number> | null {
  const decoded = new Map<string, { text: string; sv: Map<number, number> }>()
  return (id, text) => {
    if (typeof text !== 'string' || text.length > MAX_SV_FIELD) return null
    const hit = decoded.get(id)
    if (hit && hit.text === text) return hit.sv
    try {
      const sv = Y.decodeStateVector(Buffer.from(text, 'base64'))
      decoded.set(id, { text, sv })
      return sv
    } catch {
      return null
    }
  }
}
