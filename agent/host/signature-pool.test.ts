/**
 * The signature workers (real worker threads, real Ed25519 peer ids): a batch's verdicts match the
 * main thread's, a forged or garbled signature is refused, an agent id without a key is refused, and a
 * ledger checking ahead through the pool refuses a forged record.
 */
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createSignaturePool } from './signature-pool.ts'
import { createSigner, createVerifier } from './signatures.ts'
import { Ledger } from '../../protocol/ledger.ts'
import { signingBytes } from '../../protocol/records.ts'

const pool = createSignaturePool(2)
afterAll(() => pool.stop())

async function agent() {
  const key = await generateKeyPair('Ed25519')
  const id = peerIdFromPrivateKey(key).toString()
  return { id, signer: createSigner(id, key) }
}

describe('signature pool', () => {
  it('verifies batches on worker threads with the main thread\'s verdicts, refusing forged and garbled signatures', async () => {
    const a = await agent()
    const b = await agent()
    const data = Array.from({ length: 600 }, (_, i) => new TextEncoder().encode(`record ${i}`))
    const checks = data.map((d, i) => {
      if (i % 100 === 7) return { agentId: a.id, data: d, sig: b.signer.sign(d) } // signed by b in a's name
      if (i % 100 === 8) return { agentId: a.id, data: d, sig: 'not base64 at all' }
      if (i % 100 === 9) return { agentId: 'QmNotAPeerId', data: d, sig: a.signer.sign(d) }
      return { agentId: a.id, data: d, sig: a.signer.sign(d) }
    })
    // two batches at once: both workers answer, each for its own batch
    const [first, second] = await Promise.all([pool.verify(checks.slice(0, 300)), pool.verify(checks.slice(300))])
    const verdicts = [...first, ...second]
    const main = createVerifier()
    expect(verdicts).toEqual(checks.map((c) => (main(c.agentId, c.data, c.sig) ? 1 : 0)))
    expect(verdicts.filter((v) => v === 0)).toHaveLength(18)
    expect(verdicts.filter((v) => v === 1)).toHaveLength(582)
  })

  it('a ledger checking ahead through the workers refuses a forged task and keeps the good ones', async () => {
    const a = await agent()
    const b = await agent()
    const invalid: string[] = []
    const ledger = new Ledger(new Y.Doc(), { verify: createVerifier(), verifyBatch: (c) => pool.verify(c), onInvalid: (m, k, r) => invalid.push(`${m}/${k}: ${r}`) })
    const body = (id: string) => ({ v: 1, id, name: id, source: `/srv/${id}`, destination: { url: 'file:///tmp/d', library: null, folder: null }, group: 'Default', settings: {}, createdAt: '2026-01-01T00:00:00.000Z', createdBy: a.id })
    for (let i = 0; i < 300; i++) ledger.writeRaw('tasks', `task-${i}`, { ...body(`task-${i}`), sig: (i === 150 ? b : a).signer.sign(signingBytes(body(`task-${i}`))) })
    await ledger.checkAhead('tasks', ledger.taskIds())
    expect(invalid).toEqual([`tasks/task-150: signature does not match agent ${a.id}`])
    expect(ledger.tasks()).toHaveLength(299)
    expect(ledger.task('task-150')).toBeUndefined()
  })
})
