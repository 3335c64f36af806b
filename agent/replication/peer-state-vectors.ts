/**
 * The Yjs state vectors peers carry in their heartbeats (`sv`, base64), decoded once per change: the
 * scheduler reads them to settle claims (§2 of INTERNALS.md), the catch-up meter to count what we lack, and
 * the replicator to leave a peer that is behind us to pull (replicator.ts).
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

/**
 * A peer whose state vector is `theirs` is strictly behind `doc`: the document holds everything it does,
 * and more. Equal vectors are not behind (their documents may still differ in deletions).
 */
export function strictlyBehind(doc: Y.Doc, theirs: ReadonlyMap<number, number>): boolean {
  for (const [client, clock] of theirs) if (Y.getState(doc.store, client) < clock) return false
  for (const [client, structs] of doc.store.clients) {
    const last = structs[structs.length - 1]
    if (last && last.id.clock + last.length > (theirs.get(client) ?? 0)) return true
  }
  return false
}
