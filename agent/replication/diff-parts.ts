/**
 * A sync's catch-up in parts. `Y.encodeStateAsUpdate(doc, theirStateVector)` makes one update of what a
 * peer lacks: 40 MB for a fresh agent joining a 100,000-task fleet, encoded in one turn of the sender's
 * event loop (~0.8 s) and applied in one turn of the receiver's (~1 s). Here the same structs go out as
 * updates of at most PART_STRUCTS structs each, made one at a time, so both sides answer other requests
 * between parts; the deletions follow as a last, struct-less update.
 *
 * It walks the document's struct store as Yjs's own encoder does (the same `write` of each struct, with
 * the same offset into the first), by clock rather than by index: between parts the document may change
 * and Yjs may merge structs, but a clock stays where it is.
 */
import * as Y from 'yjs'

/** Structs per part: a task record is one struct of ~400 bytes, so a part is some hundreds of KB. */
export const PART_STRUCTS = 1_000

/** How many structs (by clock) `doc` holds beyond `stateVector`: what a diff for it would carry. */
export function missingClocks(doc: Y.Doc, stateVector: Map<number, number>): number {
  let n = 0
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(doc))) n += Math.max(0, clock - (stateVector.get(client) ?? 0))
  return n
}

/** What `Y.encodeStateAsUpdate(doc, encoded stateVector)` holds, as a series of smaller updates. */
export function* diffInParts(doc: Y.Doc, stateVector: Map<number, number>, partStructs = PART_STRUCTS): Generator<Uint8Array, void, void> {
  // up to where each writer was when the diff began: what is written later reaches the peer as any change does
  const ends = Y.decodeStateVector(Y.encodeStateVector(doc))
  for (const [client, end] of ends) {
    let clock = stateVector.get(client) ?? 0
    while (clock < end) {
      const structs = doc.store.clients.get(client)!
      clock = Math.max(clock, structs[0]!.id.clock)
      const from = Y.findIndexSS(structs, clock)
      const upTo = Math.min(structs.length, from + partStructs)
      const encoder = new Y.UpdateEncoderV1()
      encoder.writeLen(1) // writers in this update
      encoder.writeLen(upTo - from)
      encoder.writeClient(client)
      encoder.writeLen(clock)
      structs[from]!.write(encoder, clock - structs[from]!.id.clock)
      for (let i = from + 1; i < upTo; i++) structs[i]!.write(encoder, 0)
      encoder.writeLen(0) // no deletions: they go last
      const last = structs[upTo - 1]!
      clock = last.id.clock + last.length
      yield encoder.toUint8Array()
    }
  }
  // A struct-less update carrying the document's whole delete set, as every encodeStateAsUpdate does.
  const deletions = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc))
  if (deletions.byteLength > 2) yield deletions
}
