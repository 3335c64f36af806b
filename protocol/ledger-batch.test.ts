/**
 * Tasks written together are signed as a batch: one Ed25519 signature over their SHA-256 hashes. A
 * replica that receives them verifies one signature per batch and hashes each task, and still refuses a
 * task that is not the batch's entry, a batch of another writer, and a task signed both ways or neither.
 * A task that arrives before its batch reads as absent until the batch comes, and is then announced.
 */
import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { TestKeyring, fakeAgentId, taskDraft } from '../test/fixtures/ledger-replicas.ts'
import { Ledger, batchKey } from './ledger.ts'
import { MAX_BATCH_TASKS, signingBytes } from './records.ts'

const A = fakeAgentId(1)
const M = fakeAgentId(3)
const spec = taskDraft
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `t-${String(from + i).padStart(5, '0')}`)

function replica(keyring: TestKeyring) {
  const counts = { verify: 0 }
  const invalid: string[] = []
  const ledger = new Ledger(new Y.Doc(), {
    verify: (...a) => (counts.verify++, keyring.verify(...a)),
    onInvalid: (map, key, reason) => invalid.push(`${map}/${key}: ${reason}`),
  })
  return { ledger, counts, invalid }
}

describe('tasks signed in batches', () => {
  it('a peer reads an import of 2,500 tasks with one signature check per batch of 1,000', () => {
    const keyring = new TestKeyring()
    const a = replica(keyring)
    a.ledger.addTasks(keyring.signer(A), ids(2500).map(spec))
    const raw = a.ledger.toJSON()
    expect(Object.keys(raw.batches)).toHaveLength(Math.ceil(2500 / MAX_BATCH_TASKS))
    expect(Object.values(raw.tasks).every((t) => (t as { sig?: string }).sig === undefined)).toBe(true)

    const b = replica(keyring)
    Y.applyUpdate(b.ledger.doc, Y.encodeStateAsUpdate(a.ledger.doc))
    expect(b.ledger.tasks().map((t) => t.id).sort()).toEqual(ids(2500))
    expect(b.counts.verify).toBe(3)
    expect(b.invalid).toEqual([])
    // a single task is still signed alone
    a.ledger.addTasks(keyring.signer(A), [spec('t-solo')])
    expect(a.ledger.toJSON().tasks['t-solo']).toHaveProperty('sig')
  })

  it('refuses a changed task, a batch under another writer\'s name, and a task signed both ways or neither', () => {
    const keyring = new TestKeyring()
    const a = replica(keyring)
    a.ledger.addTasks(keyring.signer(A), ids(3).map(spec))
    const b = replica(keyring)
    Y.applyUpdate(b.ledger.doc, Y.encodeStateAsUpdate(a.ledger.doc))
    const original = b.ledger.toJSON().tasks['t-00001'] as Record<string, unknown>

    // the same batch and index, another source: not the batch's entry
    b.ledger.writeRaw('tasks', 't-00001', { ...original, source: '/etc' })
    expect(b.ledger.task('t-00001')).toBeUndefined()
    expect(b.invalid.join('\n')).toMatch(/t-00001: not entry 1 of its batch/)

    // a member's own batch listing a task that names A as its creator: the task is looked for in A's
    // batches only, where there is none of that id, so it waits and never counts
    const planted = { ...spec('m-00000'), v: 1, createdBy: A, batch: 'm-00000', batchIndex: 0 }
    const batchBody = { v: 1, id: 'm-00000', by: M, hashes: sha256(signingBytes(planted)).toString('base64') }
    b.ledger.writeRaw('batches', batchKey(M, 'm-00000'), { ...batchBody, sig: keyring.signer(M).sign(signingBytes(batchBody)) })
    b.ledger.writeRaw('tasks', 'm-00000', planted)
    expect(b.ledger.task('m-00000')).toBeUndefined()

    // the same batch, signed by M but filed under A's name: refused by its key
    const body2 = { v: 1, id: 'm-00000', by: M, hashes: batchBody.hashes }
    b.ledger.writeRaw('batches', batchKey(A, 'm-00000'), { ...body2, sig: keyring.signer(M).sign(signingBytes(body2)) })
    expect(b.ledger.task('m-00000')).toBeUndefined()
    expect(b.invalid.join('\n')).toMatch(/batches\/.*m-00000: key .* does not match the record/)
    // and with A's own signature, but A never signed it: refused by its signature
    b.ledger.writeRaw('batches', batchKey(A, 'm-00000'), { ...body2, by: A, sig: keyring.signer(M).sign(signingBytes({ ...body2, by: A })) })
    expect(b.ledger.task('m-00000')).toBeUndefined()
    expect(b.invalid.join('\n')).toMatch(/batches\/.*m-00000: signature does not match agent/)

    // both a signature and a batch, or neither
    const both = { ...(b.ledger.toJSON().tasks['t-00002'] as object), sig: 'AAAA' }
    b.ledger.writeRaw('tasks', 't-00002', both)
    const neither = { ...spec('t-nosig'), v: 1, createdBy: A }
    b.ledger.writeRaw('tasks', 't-nosig', neither)
    expect(b.ledger.task('t-00002')).toBeUndefined()
    expect(b.ledger.task('t-nosig')).toBeUndefined()
    expect(b.invalid.filter((l) => /either its own signature or a batch/.test(l))).toHaveLength(2)
    // the rest of the batch still reads
    expect(b.ledger.tasks().map((t) => t.id)).toEqual(['t-00000'])
  })

  it('a task that arrives before its batch reads as absent, then is announced and read when the batch comes', () => {
    const keyring = new TestKeyring()
    const a = replica(keyring)
    a.ledger.addTasks(keyring.signer(A), ids(5).map(spec))
    const json = a.ledger.toJSON()
    const b = replica(keyring)
    const announced: string[] = []
    b.ledger.onChange((ch) => {
      if (ch.map === 'tasks') for (const k of ch.keys) if (b.ledger.task(k)) announced.push(k)
    })
    for (const [k, v] of Object.entries(json.tasks)) b.ledger.writeRaw('tasks', k, v)
    expect(b.ledger.tasks()).toEqual([])
    expect(announced).toEqual([])
    expect(b.invalid).toEqual([]) // waiting is not invalid
    const [key, batch] = Object.entries(json.batches)[0]!
    b.ledger.writeRaw('batches', key, batch)
    expect(announced.sort()).toEqual(ids(5))
    expect(b.ledger.tasks()).toHaveLength(5)
    expect(b.counts.verify).toBe(1)
  })
})

/** the hash a batch lists: SHA-256 of the task's canonical bytes */
function sha256(data: Uint8Array): Buffer {
  return crypto.createHash('sha256').update(data).digest()
}
