/**
 * The anti-entropy digest: a hash of the state vector AND the delete set. A delete does not advance the
 * state vector, so a digest of the state vector alone would call two replicas equal when one of them
 * missed a deletion.
 *
 * Only what the document integrated counts, not the structs and deletions Yjs holds pending on missing
 * ones. Pending data that never resolves (a hostile or corrupt update claiming a client id or clock that
 * never comes) is kept by every replica in its own merge order: two updates claiming the same id:clock
 * with different content are both pending, and each replica keeps the one it got first. Hashed in (as
 * Y.encodeStateAsUpdate includes it), two replicas with the same ledger differed for good, and synced
 * every period, each sending the other all its pending bytes again (fuzz seed 1999315802: 650 KB each way
 * every 3 s, never converging). Pending data needs a missing struct or deletion to resolve, and whoever
 * holds that has a state vector or delete set that differs from ours, so nothing resolvable is hidden.
 */
import crypto from 'node:crypto'
import * as Y from 'yjs'

/** "no structs" in the update encoding: kept so the bytes hashed are those of earlier releases. */
const NO_STRUCTS = Uint8Array.of(0)

export function ledgerDigest(doc: Y.Doc): Uint8Array {
  const sv = Y.encodeStateVector(doc)
  // A snapshot is the integrated delete set followed by the state vector, both in Yjs's sorted V1
  // encoding: the delete set is its head. sv + 0 + ds is what Y.encodeStateAsUpdate(doc, sv) gave
  // without pending data, so agents of an earlier release agree with this one on every normal ledger.
  const snap = Y.encodeSnapshot(Y.snapshot(doc))
  const ds = snap.subarray(0, snap.byteLength - sv.byteLength)
  return new Uint8Array(crypto.createHash('sha256').update(sv).update(NO_STRUCTS).update(ds).digest())
}

/** Caches the digest until the document changes. */
export class DigestCache {
  private value: Uint8Array | null = null

  constructor(private readonly doc: Y.Doc) {
    doc.on('afterTransaction', () => {
      this.value = null
    })
  }

  get(): Uint8Array {
    if (!this.value) this.value = ledgerDigest(this.doc)
    return this.value
  }
}

/**
 * Which periodic digests go out: a changed one at once, an unchanged one every `repeatTicks` periods.
 * In an idle converged fleet every agent gossiping the same digest every period was about a third of the
 * messages each agent handled (29 digests per 3 s at 30 agents, each paying noise, yamux, a signature
 * check). A peer that missed a change still hears the changed digest of whoever made or received it; the
 * repeat covers a digest that was lost too.
 */
export class PeriodicDigest {
  private last: Uint8Array | null = null
  private quiet = 0

  constructor(private readonly repeatTicks = 4) {}

  /** Called once per period with the current digest: true when it should be gossiped now. */
  due(digest: Uint8Array): boolean {
    const changed = this.last === null || !sameBytes(digest, this.last)
    if (!changed && ++this.quiet < this.repeatTicks) return false
    this.quiet = 0
    this.last = digest
    return true
  }

  /**
   * Takes `digest` as gossiped already: after a push from a peer, whose writer hints the change itself.
   * Gossiped by us at once, it set peers still waiting for their part of the same push pulling it from us.
   */
  settle(digest: Uint8Array): void {
    this.quiet = 0
    this.last = digest
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}
