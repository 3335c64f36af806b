/**
 * Untrusted peer input: garbage on the sync stream, an undecodable update and an oversized message on
 * the ledger topic are rejected and logged; a valid update carrying a malformed record is applied but
 * the record is ignored by the typed reader; the agent keeps working and its ledger stays readable.
 */
import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

// Real processes on a possibly loaded 2-core machine: generous bounds (every wait still has one).
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 })

let fleet: Fleet
let a: AgentProc, b: AgentProc

beforeAll(async () => {
  fleet = await createFleet({ coreOnly: true })
  a = await fleet.start('alpha')
  b = await fleet.start('bravo', { peers: [a] })
  await fleet.waitFor(async () => (await fleet.call(b, 'status')).connections.includes(a.peerId), { message: 'bravo connected to alpha' })
})

afterAll(async () => {
  await fleet?.cleanup()
})

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
const frame = (type: number, payload: Uint8Array) => b64(Buffer.concat([Buffer.from([type]), payload]))

describe('bad input from a peer', () => {
  it('garbage on the sync stream is rejected and logged', async () => {
    const before = (await fleet.call(b, 'status')).replication.syncFailures
    await fleet.call(a, 'test.garbageSync', { peer: b.peerId, frames: [b64(crypto.randomBytes(100)), frame(9, crypto.randomBytes(10))] })
    await fleet.waitFor(() => /sync stream from peer rejected/.test(b.stderr()), { message: 'rejection logged by bravo' })
    expect((await fleet.call(b, 'status')).replication.syncFailures).toBeGreaterThan(before)
  })

  it('garbage on the sync-parts stream (a sync catch-up in parts) is rejected and logged', async () => {
    // a frame that is not one, then a well-framed part whose bytes are not a Yjs update
    await fleet.call(a, 'test.garbageSync', { peer: b.peerId, protocol: 'sync-parts', frames: [frame(9, crypto.randomBytes(10))] })
    await fleet.waitFor(() => /sync parts stream from peer rejected/.test(b.stderr()), { message: 'rejection logged by bravo' })
    const junk = crypto.randomBytes(300)
    const length = Buffer.alloc(4)
    length.writeUInt32BE(junk.byteLength)
    const tasksBefore = (await fleet.call(b, 'test.ledger')).sizes.tasks
    await fleet.call(a, 'test.garbageSync', { peer: b.peerId, protocol: 'sync-parts', frames: [frame(2, junk), frame(3, length), frame(3, Buffer.alloc(4))] })
    await fleet.waitFor(() => /"from":"sync parts from [^\n]*rejected an update that does not decode/.test(b.stderr()), { message: 'the undecodable part refused by bravo' })
    expect((await fleet.call(b, 'test.ledger')).sizes.tasks).toBe(tasksBefore)
  })

  it('an update that does not decode is rejected (gossip and direct apply)', async () => {
    // type byte 1 = update, followed by bytes that are not a Yjs update
    await fleet.call(a, 'test.publishRaw', { base64: frame(1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3, 4, 5, 6, 7, 8])) })
    await fleet.waitFor(() => /rejected an update that does not decode/.test(b.stderr()), { message: 'undecodable update logged' })
    const direct = await fleet.call(b, 'test.applyRaw', { base64: b64(crypto.randomBytes(300)) })
    expect(direct.applied).toBe(false)
  })

  it('an oversized ledger message is rejected', async () => {
    await fleet.call(a, 'test.publishRaw', { base64: frame(1, crypto.randomBytes(300 * 1024)) })
    await fleet.waitFor(() => /rejected a ledger message.*exceeds|exceeds.*rejected a ledger message/.test(b.stderr()), { message: 'oversized message logged' })
  })

  it('a malformed record is applied but ignored by the reader', async () => {
    await fleet.call(a, 'test.writeRaw', { map: 'tasks', key: 'badrec-1', value: { id: 'badrec-1', name: 42, junk: true } })
    await fleet.call(a, 'test.writeRecords', { count: 1, prefix: 'good' })
    await fleet.waitFor(async () => (await fleet.call(b, 'test.read', { map: 'tasks', key: 'badrec-1' })).raw !== null, { message: 'bad record replicated' })
    const r = await fleet.call(b, 'test.read', { map: 'tasks', key: 'badrec-1' })
    expect(r.raw).toMatchObject({ junk: true })
    expect(r.typed).toBeNull()
    await fleet.waitFor(() => /ignoring an invalid ledger record/.test(b.stderr()), { message: 'invalid record logged' })
  })

  it('the agent keeps working and its ledger stays readable', async () => {
    await fleet.call(a, 'test.writeRecords', { count: 25, prefix: 'after' })
    await fleet.call(b, 'test.writeRecords', { count: 25, prefix: 'after-b' })
    const hash = await fleet.converged([a, b])
    const l = await fleet.call(b, 'test.ledger')
    expect(l.hash).toBe(hash)
    expect(l.sizes.tasks).toBe(52) // 50 + good-0 + the bad record, which stays in the document
    expect(l.validTasks).toBe(51)
    const rows = await fleet.run(['agents', '--json'], b)
    expect(rows.exitCode).toBe(0)
    expect(b.proc!.exitCode).toBeNull()
  })
})
