/**
 * A replica's own writes (signed and parsed by it a moment ago) are cached as checked before the
 * ledger's listeners run: the scheduler reads every task of a 10,000-task import inside the change
 * event, and verified each fresh signature again (a third of the import's time). A raw write, as a peer's
 * record arrives, is still verified when read.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { TestKeyring, fakeAgentId, taskDraft } from '../test/fixtures/ledger-replicas.ts'
import { Ledger } from './ledger.ts'
import { signingBytes } from './records.ts'

const A = fakeAgentId(1)
const B = fakeAgentId(2)
const spec = taskDraft

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
    // nor is a forged one, which stays refused
    const forged = { ...spec('t-004'), v: 1, createdBy: A }
    ledger.writeRaw('tasks', 't-004', { ...forged, sig: keyring.signer(B).sign(signingBytes(forged)) })
    expect(seen).toContain('missing')
    expect(ledger.tasks().map((t) => t.id).sort()).toEqual(['t-001', 't-002', 't-003'])
  })
})
