/**
 * A large catch-up still refuses what a fleet member forged (issue 18's hostile side): a late joiner
 * pulls 1,000 signed tasks and three forged ones (unsigned, signed in another agent's name, a signature
 * lifted from another record) in one sync; it lists exactly the 1,000, and says it is caught up. Real
 * agents; a faster check of large catch-ups must keep this passing.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 })

interface Row { id: string; catchingUp: { records: number } | null }

let fleet: Fleet
let a: AgentProc

beforeAll(async () => {
  // Full agents: the scheduler reads every task of a change as it arrives.
  fleet = await createFleet()
  a = await fleet.start('alpha')
})

afterAll(async () => {
  await fleet?.cleanup()
})

describe('forged records in a catch-up', () => {
  it('a late joiner lists the 1,000 signed tasks of one large update and refuses the forged ones in it', async () => {
    const COUNT = 1_000
    await fleet.call(a, 'test.writeRecords', { count: COUNT, prefix: 'bulk' })
    const { raw: first } = await fleet.call<{ raw: Record<string, unknown> }>(a, 'test.read', { map: 'tasks', key: 'bulk-0' })
    const { raw: second } = await fleet.call<{ raw: Record<string, unknown> }>(a, 'test.read', { map: 'tasks', key: 'bulk-1' })
    const { sig: _sig, ...unsigned } = first
    const forged: Record<string, unknown> = {
      'forged-unsigned': { ...unsigned, id: 'forged-unsigned' },
      // alpha's signature, but the record names another writer
      'forged-writer': { ...first, id: 'forged-writer', createdBy: peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString() },
      // a genuine signature of bulk-1 on a record that says something else
      'forged-lifted': { ...first, id: 'forged-lifted', sig: second.sig },
    }
    for (const [key, value] of Object.entries(forged)) await fleet.call(a, 'test.writeRaw', { map: 'tasks', key, value })

    // Held back until everything is written, so it arrives in one sync (one change of 1,003 tasks).
    const late = await fleet.start('late', { peers: [a], env: { MMESH_TEST_LEDGER_HELD: '1' } })
    await fleet.call(late, 'test.unblock', {})
    await fleet.waitFor(async () => (await fleet.call<{ sizes: { tasks: number } }>(late, 'status')).sizes.tasks === COUNT + 3, { timeoutMs: 90_000, message: 'the late joiner holds every task record' })
    await fleet.waitFor(async () => (await fleet.call<Row[]>(late, 'agents.list')).find((r) => r.id === late.peerId)?.catchingUp === null, { timeoutMs: 90_000, message: 'the late joiner caught up' })

    const listed = await fleet.call<{ id: string }[]>(late, 'task.list')
    expect(listed).toHaveLength(COUNT)
    expect(listed.filter((t) => t.id.startsWith('forged-'))).toEqual([])
    for (const key of Object.keys(forged)) {
      const r = await fleet.call<{ raw: unknown; typed: unknown }>(late, 'test.read', { map: 'tasks', key })
      expect(r.raw, key).not.toBeNull()
      expect(r.typed, key).toBeNull()
    }
    const shown = await fleet.run(['task', 'show', 'bulk-999'], late)
    expect(shown.exitCode, shown.stderr).toBe(0)
  })
})
