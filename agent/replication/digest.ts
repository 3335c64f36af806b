/**
 * The anti-entropy digest: a hash of the state vector AND the delete set. A delete does not advance the
 * state vector, so a digest of the state vector alone would call two replicas equal when one of them
 * missed a deletion. Diffing the document against its own state vector yields an update with no structs
 * and the full delete set: a cheap, canonical encoding of it.
 */
import crypto from 'node:crypto'
import * as Y from 'yjs'

export function ledgerDigest(doc: Y.Doc): Uint8Array {
  const sv = Y.encodeStateVector(doc)
  const ds = Y.encodeStateAsUpdate(doc, sv)
  return new Uint8Array(crypto.createHash('sha256').update(sv).update(ds).digest())
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
