/**
 * Applying a peer's update to the ledger document, cheaply and without losing anything.
 */
import * as Y from 'yjs'

export interface QuietApply {
  /** the received update, to store: null when it was a duplicate (brought nothing, left nothing pending) */
  remote: Uint8Array | null
  /** changes made locally by an observer during the apply, to store and publish */
  local: Uint8Array | null
  /** what Y.applyUpdate threw (the update did not decode or apply); `remote` then holds what it integrated */
  error: Error | null
}

/**
 * Applies `update` with `listener` (the replicator's 'update' handler) detached: Yjs encodes each
 * transaction's structs again for 'update' listeners (0.4 s for a 100,000-task catch-up, and as many
 * bytes again), while the bytes received are what gets stored anyway. A local change made synchronously
 * by an observer during the apply would then go unseen by the listener, so any such transaction is
 * detected and its changes captured from the state vector taken before the apply; likewise what a failed
 * apply integrated (returned as remote, with the error).
 */
export function applyWithoutListener(doc: Y.Doc, update: Uint8Array, origin: unknown, listener: (update: Uint8Array, origin: unknown) => void): QuietApply {
  const before = Y.encodeStateVector(doc)
  const { pendingStructs, pendingDs } = doc.store
  // Yjs merges structs that wait on a gap into the pending object it already has, replacing only its
  // `update` field: the object alone stays the same while what waits grows.
  const pendingUpdate = pendingStructs?.update
  let localInside = false
  let changed = false
  const watch = (tr: Y.Transaction) => {
    if (tr.origin !== origin) localInside = true
    else if (tr.deleteSet.clients.size > 0 || !sameState(tr.beforeState, tr.afterState)) changed = true
  }
  const result: QuietApply = { remote: null, local: null, error: null }
  doc.off('update', listener)
  doc.on('afterTransaction', watch)
  try {
    Y.applyUpdate(doc, update, origin)
  } catch (err) {
    result.error = err instanceof Error ? err : new Error(String(err))
  } finally {
    doc.off('afterTransaction', watch)
    doc.on('update', listener)
  }
  // Stored when it brought something (a duplicate is not), or left structs pending on missing ones.
  const pendingGrew = doc.store.pendingStructs !== pendingStructs || doc.store.pendingStructs?.update !== pendingUpdate || doc.store.pendingDs !== pendingDs
  if (!result.error && (changed || pendingGrew)) result.remote = update
  if (localInside || result.error) {
    const since = Y.encodeStateAsUpdate(doc, before)
    if (since.byteLength > 2) {
      if (localInside) result.local = since
      else result.remote = since
    }
  }
  return result
}

function sameState(a: Map<number, number>, b: Map<number, number>): boolean {
  if (a.size !== b.size) return false
  for (const [client, clock] of a) if (b.get(client) !== clock) return false
  return true
}

/**
 * Throws when an update does not decode, before it can reach the document. Up to 1 MiB it is fully
 * decoded (catches the most garbage); a larger catch-up is walked lazily, struct by struct, since fully
 * decoding a 100k-task update would double the agent's memory; applyUpdate's own errors are caught too.
 */
export function checkDecodes(update: Uint8Array): void {
  if (update.byteLength <= 1024 * 1024) Y.decodeUpdate(update)
  else Y.encodeStateVectorFromUpdate(update)
}
