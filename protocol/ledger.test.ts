import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { TestKeyring, fakeAgentId, makeReplica, syncAll } from '../test/fixtures/ledger-replicas.ts'
import { signingBytes } from './records.ts'
import { tasksTouched } from './ledger.ts'

const A = fakeAgentId(1)
const B = fakeAgentId(2)
const spec = {
  id: 'task-1',
  name: 'dept',
  source: '/srv/dept',
  destination: { url: 'file:///tmp/dst', library: null, folder: null },
  group: 'Default',
  settings: {},
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: A,
}

describe('Ledger', () => {
  it('ignores and reports a malformed record from a peer but keeps the valid ones', () => {
    const keyring = new TestKeyring()
    const r = makeReplica(1, keyring)
    r.ledger.addTasks(keyring.signer(A), [spec])
    r.ledger.writeRaw('tasks', 'task-2', { v: 1, id: 'task-2', name: 42 })
    expect(r.ledger.tasks().map((t) => t.id)).toEqual(['task-1'])
    expect(r.invalid.some((m) => m.startsWith('tasks/task-2'))).toBe(true)
  })

  it('ignores a claim forged in another agent\'s name (signature by someone else)', () => {
    const keyring = new TestKeyring()
    const r = makeReplica(1, keyring)
    keyring.signer(A)
    const forger = keyring.signer(B)
    // B signs a claim that names A
    const body = { v: 1, taskId: 'task-1', agent: A, epoch: 9, round: 0, at: '2026-01-01T00:00:00.000Z', released: false }
    const sig = forger.sign(new TextEncoder().encode(JSON.stringify(body)))
    r.ledger.writeRaw('claims', `task-1/${A}`, { ...body, sig })
    expect(r.ledger.claimsFor('task-1')).toEqual([])
    expect(r.invalid.some((m) => m.includes('signature'))).toBe(true)
  })

  it('refuses a record planted under another record\'s key', () => {
    const keyring = new TestKeyring()
    const r = makeReplica(1, keyring)
    r.ledger.writeRaw('tasks', 'other-id', { ...spec, v: 1 })
    expect(r.ledger.task('other-id')).toBeUndefined()
  })

  it('keeps fields it does not know (a newer agent\'s records survive a round trip)', () => {
    const keyring = new TestKeyring()
    const a = makeReplica(1, keyring)
    const b = makeReplica(2, keyring)
    const body = { ...spec, v: 2, futureField: { x: 1 } }
    a.ledger.writeRaw('tasks', 'task-1', { ...body, sig: keyring.signer(A).sign(signingBytes(body)) })
    syncAll([a, b])
    const t = b.ledger.task('task-1') as Record<string, unknown>
    expect(t.futureField).toEqual({ x: 1 })
  })

  it('indexes claims and outcomes per task incrementally, also for remote updates and deletions', () => {
    const keyring = new TestKeyring()
    const a = makeReplica(1, keyring)
    const b = makeReplica(2, keyring)
    const sa = keyring.signer(A)
    a.ledger.addTasks(sa, [spec])
    a.ledger.putClaim(sa, { taskId: 'task-1', agent: A, epoch: 1, round: 0, at: '2026-01-01T00:00:00.000Z', released: false })
    syncAll([a, b])
    expect(b.ledger.claimsFor('task-1').map((c) => c.agent)).toEqual([A])
    a.doc.transact(() => a.doc.getMap('claims').delete(`task-1/${A}`))
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc))
    expect(b.ledger.claimsFor('task-1')).toEqual([])
  })

  it('ignores a task or a command that its writer did not sign, or that someone else signed', () => {
    const keyring = new TestKeyring()
    const r = makeReplica(1, keyring)
    const unsigned = { ...spec, v: 1 }
    r.ledger.writeRaw('tasks', 'task-1', unsigned)
    const forged = { ...spec, v: 1, id: 'task-2' }
    r.ledger.writeRaw('tasks', 'task-2', { ...forged, sig: keyring.signer(B).sign(signingBytes(forged)) })
    expect(r.ledger.tasks()).toEqual([])
    const hlc = `000000000001000-000000-${B}`
    const disable = { v: 1, kind: 'agent.disable', hlc, by: B, target: A }
    r.ledger.writeRaw('commands', `${B}/${hlc}`, disable)
    expect(r.ledger.commandsFor(A)).toEqual([])
    expect(r.invalid.find((m) => m.startsWith('tasks/task-1:'))).toMatch(/sig/)
    expect(r.invalid.find((m) => m.startsWith('tasks/task-2:'))).toMatch(/signature does not match/)
    expect(r.invalid.find((m) => m.startsWith('commands/'))).toMatch(/sig/)
    // signed by their writers, the same records count
    r.ledger.writeRaw('commands', `${B}/${hlc}`, { ...disable, sig: keyring.signer(B).sign(signingBytes(disable)) })
    expect(r.ledger.commandsFor(A).map((c) => c.kind)).toEqual(['agent.disable'])
  })

  it('refuses to create a task id twice', () => {
    const r = makeReplica(1, new TestKeyring())
    r.ledger.addTasks(r.keyring.signer(A), [spec])
    expect(() => r.ledger.addTasks(r.keyring.signer(A), [spec])).toThrow(/exists/)
  })
})

describe('tasksTouched', () => {
  it('names a task by its key, a claim or outcome by its task, a task command by its target, and nothing else', () => {
    const commands: Record<string, { kind: string; target: string }> = {
      'ag/1': { kind: 'task.pause', target: 't-9' },
      'ag/2': { kind: 'settings.set', target: 'ScanOnly' },
    }
    const look = (k: string) => commands[k]
    expect([...tasksTouched({ map: 'tasks', keys: ['t-1', 't-2'] }, look)]).toEqual(['t-1', 't-2'])
    expect([...tasksTouched({ map: 'claims', keys: ['t-3/ag', 't-3/bg'] }, look)]).toEqual(['t-3'])
    expect([...tasksTouched({ map: 'outcomes', keys: ['t-4/2/ag'] }, look)]).toEqual(['t-4'])
    expect([...tasksTouched({ map: 'commands', keys: ['ag/1', 'ag/2', 'ag/3'] }, look)]).toEqual(['t-9'])
    expect([...tasksTouched({ map: 'agents', keys: ['ag'] }, look)]).toEqual([])
  })
})
