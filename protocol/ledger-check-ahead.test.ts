/**
 * Ledger.checkAhead: a large change's records checked as one batch, their signatures verified by the
 * injected batch verifier (worker threads in the agent), so readers find them checked. Forged, unsigned
 * and planted records are refused there exactly as on a plain read; nothing becomes readable unless its
 * signature was verified.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { TestKeyring, fakeAgentId, makeReplica } from '../test/fixtures/ledger-replicas.ts'
import { Ledger, type BatchVerifier, type SignatureVerifier } from './ledger.ts'
import { signingBytes } from './records.ts'

const A = fakeAgentId(1)
const B = fakeAgentId(2)
const spec = (id: string) => ({
  id,
  name: `dept ${id}`,
  source: `/srv/${id}`,
  destination: { url: 'file:///tmp/dst', library: null, folder: null },
  group: 'Default',
  settings: {},
  createdAt: '2026-01-01T00:00:00.000Z',
})

/** A replica whose plain verifier counts its calls, and whose batch verifier runs the keyring's checks. */
function replicaWithBatches(keyring: TestKeyring, batch?: BatchVerifier) {
  const doc = new Y.Doc()
  let plainCalls = 0
  const batches: number[] = []
  const verify: SignatureVerifier = (...a) => (plainCalls++, keyring.verify(...a))
  const verifyBatch: BatchVerifier = batch ?? (async (checks) => {
    batches.push(checks.length)
    return Uint8Array.from(checks.map((c) => (keyring.verify(c.agentId, c.data, c.sig) ? 1 : 0)))
  })
  const invalid: string[] = []
  const ledger = new Ledger(doc, { verify, verifyBatch, onInvalid: (map, key, reason) => invalid.push(`${map}/${key}: ${reason}`) })
  return { doc, ledger, invalid, batches, plainCalls: () => plainCalls }
}

describe('Ledger.checkAhead', () => {
  it('checks a batch off the reader: valid tasks read without another verification, forged ones refused and reported once', async () => {
    const keyring = new TestKeyring()
    const r = replicaWithBatches(keyring)
    const good = ['t-001', 't-002', 't-003'].map((id) => ({ ...spec(id), v: 1, createdBy: A }))
    for (const body of good) r.ledger.writeRaw('tasks', body.id, { ...body, sig: keyring.signer(A).sign(signingBytes(body)) })
    const inB = { ...spec('t-004'), v: 1, createdBy: A } // names A, signed by B
    r.ledger.writeRaw('tasks', 't-004', { ...inB, sig: keyring.signer(B).sign(signingBytes(inB)) })
    const tampered = { ...good[0]!, id: 't-005' } // A's signature of another record
    r.ledger.writeRaw('tasks', 't-005', { ...tampered, sig: keyring.signer(A).sign(signingBytes(good[0]!)) })
    r.ledger.writeRaw('tasks', 't-006', { ...spec('t-006'), v: 1, createdBy: A }) // unsigned
    r.ledger.writeRaw('tasks', 't-007', { ...good[1]!, sig: keyring.signer(A).sign(signingBytes(good[1]!)) }) // planted under another key

    await r.ledger.checkAhead('tasks', r.ledger.taskIds())
    // the unsigned and the planted one fail before any signature check: the batch holds the other five
    expect(r.batches).toEqual([5])
    expect(r.ledger.tasks().map((t) => t.id).sort()).toEqual(['t-001', 't-002', 't-003'])
    expect(r.plainCalls()).toBe(0)
    expect(r.invalid.filter((m) => m.startsWith('tasks/t-004:'))).toEqual([`tasks/t-004: signature does not match agent ${A}`])
    expect(r.invalid.find((m) => m.startsWith('tasks/t-005:'))).toMatch(/signature does not match/)
    expect(r.invalid.find((m) => m.startsWith('tasks/t-006:'))).toMatch(/sig/)
    expect(r.invalid.find((m) => m.startsWith('tasks/t-007:'))).toMatch(/does not match the record/)
    expect(r.invalid).toHaveLength(4)
  })

  it('a record changed while its batch was out is left to its next read, which checks the new one', async () => {
    const keyring = new TestKeyring()
    let release = () => {}
    const gate = new Promise<void>((res) => (release = res))
    const r = replicaWithBatches(keyring, async (checks) => {
      await gate
      return new Uint8Array(checks.length).fill(1) // says every signature is good: only the unchanged may use it
    })
    const body = { ...spec('t-001'), v: 1, createdBy: A }
    r.ledger.writeRaw('tasks', 't-001', { ...body, sig: keyring.signer(A).sign(signingBytes(body)) })
    const pending = r.ledger.checkAhead('tasks', ['t-001'])
    const forged = { ...body, name: 'changed' }
    r.ledger.writeRaw('tasks', 't-001', { ...forged, sig: keyring.signer(B).sign(signingBytes(forged)) })
    release()
    await pending
    expect(r.ledger.task('t-001')).toBeUndefined()
    expect(r.plainCalls()).toBe(1)
    expect(r.invalid.find((m) => m.startsWith('tasks/t-001:'))).toMatch(/signature does not match/)
  })

  it('when the batch verifier fails, nothing is taken as checked: each record is verified when read', async () => {
    const keyring = new TestKeyring()
    const r = replicaWithBatches(keyring, async () => {
      throw new Error('workers gone')
    })
    const body = { ...spec('t-001'), v: 1, createdBy: A }
    r.ledger.writeRaw('tasks', 't-001', { ...body, sig: keyring.signer(A).sign(signingBytes(body)) })
    const forged = { ...spec('t-002'), v: 1, createdBy: A }
    r.ledger.writeRaw('tasks', 't-002', { ...forged, sig: keyring.signer(B).sign(signingBytes(forged)) })
    await r.ledger.checkAhead('tasks', ['t-001', 't-002'])
    expect(r.plainCalls()).toBe(0)
    expect(r.ledger.tasks().map((t) => t.id)).toEqual(['t-001'])
    expect(r.plainCalls()).toBe(2)
  })

  it('without a batch verifier it verifies on this thread, with the same verdicts', async () => {
    const keyring = new TestKeyring()
    const r = makeReplica(1, keyring)
    r.ledger.addTasks(keyring.signer(A), [spec('t-001')])
    const forged = { ...spec('t-002'), v: 1, createdBy: A }
    r.ledger.writeRaw('tasks', 't-002', { ...forged, sig: keyring.signer(B).sign(signingBytes(forged)) })
    await r.ledger.checkAhead('tasks', r.ledger.taskIds())
    expect(r.invalid.find((m) => m.startsWith('tasks/t-002:'))).toMatch(/signature does not match/)
    expect(r.ledger.tasks().map((t) => t.id)).toEqual(['t-001'])
  })
})

describe('own writes', () => {
  it('a replica\'s own fresh records are readable inside its listeners without verifying them again', () => {
    const keyring = new TestKeyring()
    let calls = 0
    const ledger = new Ledger(new Y.Doc(), { verify: (...a) => (calls++, keyring.verify(...a)) })
    const seen: string[] = []
    ledger.onChange((ch) => {
      if (ch.map === 'tasks') for (const k of ch.keys) seen.push(ledger.task(k)?.id ?? 'missing')
    })
    ledger.addTasks(keyring.signer(A), [spec('t-001'), spec('t-002')])
    expect(seen.sort()).toEqual(['t-001', 't-002'])
    expect(calls).toBe(0)
    // a raw write is not this replica's own record: it is verified when read
    const body = { ...spec('t-003'), v: 1, createdBy: A }
    ledger.writeRaw('tasks', 't-003', { ...body, sig: keyring.signer(A).sign(signingBytes(body)) })
    expect(seen).toContain('t-003')
    expect(calls).toBe(1)
  })
})
