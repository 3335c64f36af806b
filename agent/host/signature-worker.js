// Ed25519 signature checks for ledger records, run on worker threads (signature-pool.ts). Plain
// JavaScript on purpose: it loads without a TypeScript loader in every runtime (agent, vitest, bench).
// One message carries a batch: the public keys of the agents it names (SPKI DER, once per agent and
// worker), each record's agent, its signing bytes (one buffer with offsets) and its signature (base64);
// the answer is one byte per record, 1 when the signature is good.
import crypto from 'node:crypto'
import { parentPort } from 'node:worker_threads'

/** agent id → KeyObject, or null when the id embeds no Ed25519 key */
const keys = new Map()

parentPort.on('message', (msg) => {
  for (const [agentId, der] of msg.keys) {
    if (keys.has(agentId)) continue
    let key = null
    try {
      if (der) key = crypto.createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
    } catch {
      key = null
    }
    keys.set(agentId, key)
  }
  const n = msg.sigs.length
  const out = new Uint8Array(n)
  const data = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength)
  for (let i = 0; i < n; i++) {
    const key = keys.get(msg.agents[i])
    const sig = Buffer.from(msg.sigs[i], 'base64')
    if (!key || sig.byteLength !== 64) continue
    try {
      out[i] = crypto.verify(null, data.subarray(msg.offsets[i], msg.offsets[i + 1]), key, sig) ? 1 : 0
    } catch {
      out[i] = 0
    }
  }
  parentPort.postMessage({ id: msg.id, valid: out }, [out.buffer])
})
