/**
 * Record signatures: an agent signs its own records with its identity key; anyone verifies them with the
 * public key embedded in the agent id (an Ed25519 libp2p peer id). Results are cached: readers re-check
 * every record on each change, and the same records come by again and again.
 *
 * Every task and command is signed, so this is on the path of a 10,000-task import and of a fresh agent
 * reading 100,000 tasks: keys are turned into node:crypto KeyObjects once (per agent id), and signing and
 * verifying run in OpenSSL (about 10x faster than going through the libp2p key objects each time).
 */
import crypto from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { RecordSigner, SignatureVerifier } from '../../protocol/ledger.ts'

const CACHE_LIMIT = 50_000
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** The agent's Ed25519 public key as a KeyObject, or null when the id embeds no Ed25519 key. */
function publicKeyOf(agentId: string): crypto.KeyObject | null {
  const pub = peerIdFromString(agentId).publicKey
  if (!pub || pub.type !== 'Ed25519' || pub.raw.byteLength !== 32) return null
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, pub.raw]), format: 'der', type: 'spki' })
}

export function createVerifier(): SignatureVerifier {
  const cache = new Map<string, boolean>()
  const keys = new Map<string, crypto.KeyObject | null>()
  return (agentId, data, signature) => {
    const key = `${agentId}\u0000${signature}\u0000${crypto.createHash('sha256').update(data).digest('base64')}`
    const hit = cache.get(key)
    if (hit !== undefined) return hit
    let good = false
    try {
      let pub = keys.get(agentId)
      if (pub === undefined) {
        pub = publicKeyOf(agentId)
        if (keys.size >= 10_000) keys.delete(keys.keys().next().value as string)
        keys.set(agentId, pub)
      }
      const sig = Buffer.from(signature, 'base64')
      if (pub && sig.byteLength === 64) good = crypto.verify(null, data, pub, sig)
    } catch {
      good = false
    }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
    cache.set(key, good)
    return good
  }
}

export function createSigner(agentId: string, key: PrivateKey): RecordSigner {
  if (key.type !== 'Ed25519') throw new Error(`identity key is ${key.type}, not Ed25519`)
  // libp2p's raw Ed25519 private key is the 32-byte seed followed by the public key.
  const priv = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, key.raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' })
  return {
    agentId,
    sign(data) {
      return crypto.sign(null, data, priv).toString('base64')
    },
  }
}
