/**
 * Hostile peer: a member holding the fleet key (an in-process libp2p node on the agent's own host stack)
 * sends a running agent 10,000 fuzzed messages — random and mutated gossip on both topics, oversized
 * messages, valid Yjs updates carrying records of the wrong types, claims, outcomes and agent records
 * forged in the target's and another agent's name, sync-stream and item-stream frames (garbage,
 * truncated, oversized, out of order) and floods. The agent must keep running (same pid, control
 * endpoint answering), reject or ignore each, keep a valid ledger (every typed reader answers, no
 * forged record is believed), finish the real task it was running, and a new agent must still sync
 * from it. Seeded: MMESH_FUZZ_SEED=N replays a run.
 */
import fs from 'node:fs'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { addTask, makeShare } from '../leases/lease-harness.ts'
import { freshSeed } from '../chaos/rng.ts'
import { FuzzPeer } from './peer.ts'
import { runFuzz } from './fuzzer.ts'

const seed = Number(process.env.MMESH_FUZZ_SEED) || freshSeed()
const COUNT = Number(process.env.MMESH_FUZZ_COUNT) || 10_000
const FILES = 300

let fleet: Fleet
let target: AgentProc
let peer: FuzzPeer | null = null
let taskId = ''
let dest = ''

type Status = { pid: number; replication: { rejected: number; syncFailures: number; applied: number }; connections: string[] }
type TaskRow = { id: string; status: string; agent: string | null; counts: { migrated: number; unchanged: number; failed: number } }

beforeAll(async () => {
  fleet = await createFleet({ env: { MMESH_TEST_FILE_DELAY_MS: '1500', MMESH_LOG_LEVEL: 'warn' } })
  target = await fleet.start('target')
  const src = makeShare(fleet.tempDir('src'), 'share', FILES)
  dest = fleet.tempDir('dest')
  taskId = await addTask(fleet, target, src, dest)
  await fleet.waitFor(async () => ['scanning', 'in-progress'].includes((await fleet.call<TaskRow>(target, 'task.showJson', { id: taskId })).status), { timeoutMs: 30_000, message: 'the real task running' })
}, 90_000)

afterAll(async () => {
  await peer?.stop().catch(() => undefined)
  await fleet?.cleanup()
})

describe('a hostile fleet member', () => {
  it(`cannot crash an agent or corrupt its ledger with ${COUNT} fuzzed messages (seed ${seed})`, async () => {
    const before = await fleet.call<Status>(target, 'status')
    const base = Buffer.from(await fleet.call<string>(target, 'test.encodeUpdate'), 'base64')
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    peer = await FuzzPeer.create(fleet.keyFile)
    await peer.connect(target.addrs[0]!)
    await fleet.waitFor(() => peer!.subscribedBy(target.peerId), { timeoutMs: 15_000, message: 'the target to subscribe to the fuzzer' })

    let checks = 0
    const figures = await runFuzz(peer, {
      seed,
      count: COUNT,
      victims: { target: target.peerId, other, realTask: taskId },
      base,
      selfAddr: peer.host.getMultiaddrs()[0]!.toString(),
      onProgress: async () => {
        // alive and answering mid-run, same process
        const s = await fleet.call<Status>(target, 'status', {}, 10_000)
        expect(s.pid).toBe(before.pid)
        checks++
      },
    })
    const after = await fleet.call<Status>(target, 'status')
    const rejectedLedger = after.replication.rejected - before.replication.rejected
    const syncFailures = after.replication.syncFailures - before.replication.syncFailures
    console.log(JSON.stringify({ fuzz: { ...figures, rejectedLedgerMessages: rejectedLedger, rejectedSyncStreams: syncFailures, appliedUpdates: after.replication.applied - before.replication.applied, aliveChecks: checks } }))

    expect(figures.sent).toBeGreaterThanOrEqual(COUNT)
    expect(after.pid).toBe(before.pid)
    expect(target.proc!.exitCode).toBeNull()
    // The messages reached it and were turned away (not lost on the fuzzer's side).
    expect(rejectedLedger).toBeGreaterThan(figures.byKind['ledger-random']! / 4)
    expect(syncFailures).toBeGreaterThan(10)

    // Every typed reader answers, through the control endpoint and the real CLI.
    const ledger = await fleet.call<{ hash: string; sizes: Record<string, number>; validTasks: number }>(target, 'test.ledger')
    expect(ledger.validTasks).toBe(1)
    for (const args of [['task', 'list', '--json'], ['agents', '--json'], ['settings', '--json'], ['task', 'show', taskId, '--json']]) {
      const r = await fleet.run(args, target)
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }
    const agents = JSON.parse((await fleet.run(['agents', '--json'], target)).stdout) as { id: string; name: string }[]
    // No forged agent record is believed; the target's own entry stands.
    expect(agents.find((a) => a.id === other)).toBeUndefined()
    expect(agents.filter((a) => /^forged-/.test(a.name))).toEqual(agents.filter((a) => a.id === peer!.peerId && /^forged-/.test(a.name)))
    expect(agents.find((a) => a.id === target.peerId)?.name).toBe('target')
    // ... in the ledger too, not only in its heartbeat: forged overwrites of its entry were written over again.
    await fleet.waitFor(async () => (await fleet.call<{ typed: { name: string } | null }>(target, 'test.read', { map: 'agents', key: target.peerId })).typed?.name === 'target', { timeoutMs: 10_000, message: "the target's own agent entry valid in its ledger" })
    const report = fs.mkdtempSync(path.join(fleet.root, 'report-'))
    expect((await fleet.run(['report', '--out', report], target)).exitCode).toBe(0)

    // The real task, running since before the attack, completes with every file, run by the target.
    const done = await fleet.waitFor(async () => {
      const t = await fleet.call<TaskRow>(target, 'task.showJson', { id: taskId })
      return t.status === 'completed' ? t : null
    }, { timeoutMs: 120_000, message: 'the real task to complete' })
    expect(done.agent).toBe(target.peerId)
    expect(done.counts.failed).toBe(0)
    const landed = (dir: string): number => fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? landed(path.join(dir, e.name)) : 1), 0)
    expect(landed(dest)).toBe(FILES)

    // A newcomer syncs the attacked ledger and agrees with it.
    const bravo = await fleet.start('bravo', { peers: [target] })
    const hash = await fleet.converged([target, bravo], { timeoutMs: 60_000 })
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect((await fleet.call<{ validTasks: number }>(bravo, 'test.ledger')).validTasks).toBe(1)
    expect(target.proc!.exitCode).toBeNull()
  }, 480_000)
})
