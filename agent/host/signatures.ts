/**
 * Record signatures: an agent signs its own records with its identity key; anyone verifies them with the
 * public key embedded in the agent id (an Ed25519 libp2p peer id). Results are cached: readers re-check
 * every record on each change, and the same records come by again and again.
 */
import crypto from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { RecordSigner, SignatureVerifier } from '../../protocol/ledger.ts'

const CACHE_LIMIT = 50_000

export function createVerifier(): SignatureVerifier {
  const cache = new Map<string, boolean>()
  return (agentId, data, signature) => {
    const key = `${agentId}\u0000${signature}\u0000${crypto.createHash('sha256').update(data).digest('base64')}`
    const hit = cache.get(key)
    if (hit !== undefined) return hit
    let good = false
    try {
      const pub = peerIdFromString(agentId).publicKey
      if (pub && pub.type === 'Ed25519') {
        const sig = Buffer.from(signature, 'base64')
        if (sig.byteLength === 64) {
          const r = pub.verify(data, sig)
          // Node's Ed25519 verifies synchronously; a promise here would mean another runtime: refuse.
          good = r === true
        }
      }
    } catch {
      good = false
    }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
    cache.set(key, good)
    return good
  }
}

export function createSigner(agentId: string, key: PrivateKey): RecordSigner {
  return {
    agentId,
    sign(data) {
      const sig = key.sign(data)
      if (!(sig instanceof Uint8Array)) throw new Error('identity key signs asynchronously; unsupported runtime')
      return Buffer.from(sig).toString('base64')
    },
  }
}
