/**
 * Issue 16, bandwidth, with real agents: `mmesh start --max-mbps 20` holds a file:// copy of 24 MiB
 * within ±15 % of 20 Mbit/s, and `agent set --max-mbps 40` from another node changes the limit the
 * agent copies at; a lower group limit applies, and clearing both leaves the agent's own. The copy's time is measured from the first file begun to the last one committed
 * (the test hooks' put and copy logs, test/support/agent-test-hooks.ts).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { addTask, listTasks } from '../leases/lease-harness.ts'

const FILES = 3
const SIZE = 8 << 20

let fleet: Fleet
let a: AgentProc
let b: AgentProc

beforeAll(async () => {
  fleet = await createFleet()
  a = await fleet.start('ba', { args: ['--max-mbps', '20'] })
  // b may read the shares but write no file:// destination: every copy here is a's
  b = await fleet.start('bb', { peers: [a], roots: { source: [fleet.root], dest: [] } })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

function log(agent: AgentProc, name: string, taskId: string): number[] {
  const file = path.join(agent.dir, name)
  if (!fs.existsSync(file)) return []
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { taskId: string; at: number }).filter((e) => e.taskId === taskId).map((e) => e.at)
}

/** Copies FILES × SIZE random bytes through a; answers the Mbit/s measured. */
async function measuredCopy(name: string): Promise<number> {
  const share = fleet.tempDir(`src-${name}`)
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(share, `big${i}.bin`), crypto.randomBytes(SIZE))
  const dst = fleet.tempDir(`dst-${name}`)
  const id = await addTask(fleet, b, share, dst)
  const done = await fleet.waitFor(async () => (await listTasks(fleet, b)).find((t) => t.id === id && t.status === 'completed'), { timeoutMs: 120_000, message: `${name} to complete` })
  expect(done.agent).toBe(a.peerId)
  expect(done.counts.migrated).toBe(FILES)
  for (let i = 0; i < FILES; i++) expect(fs.statSync(path.join(dst, `big${i}.bin`)).size).toBe(SIZE)
  const begun = Math.min(...log(a, 'put-log.jsonl', id))
  const committed = log(a, 'copy-log.jsonl', id)
  expect(committed).toHaveLength(FILES)
  const seconds = (Math.max(...committed) - begun) / 1000
  return (FILES * SIZE * 8) / seconds / 1e6
}

describe('--max-mbps', () => {
  it('holds a file:// copy within 15 % of the limit, and follows agent set from another node', async () => {
    const first = await measuredCopy('twenty')
    console.log(`--max-mbps 20: ${first.toFixed(2)} Mbit/s`)
    expect(first).toBeGreaterThanOrEqual(20 * 0.85)
    expect(first).toBeLessThanOrEqual(20 * 1.15)

    const set = await fleet.run(['agent', 'set', 'ba', '--max-mbps', '40'], b)
    expect(set.exitCode, set.stderr).toBe(0)
    await fleet.waitFor(async () => {
      const rows = JSON.parse((await fleet.run(['agents', '--json'], a)).stdout) as { id: string; maxMbps: number | null }[]
      return rows.find((r) => r.id === a.peerId)?.maxMbps === 40
    }, { timeoutMs: 20_000, message: 'the new limit on ba' })
    const second = await measuredCopy('forty')
    console.log(`agent set --max-mbps 40: ${second.toFixed(2)} Mbit/s`)
    expect(second).toBeGreaterThanOrEqual(40 * 0.85)
    expect(second).toBeLessThanOrEqual(40 * 1.15)

    // a group limit below the agent's applies to it; clearing the agent's override then leaves its own 20
    const group = await fleet.run(['group', 'set', 'Default', '--max-mbps', '10'], b)
    expect(group.exitCode, group.stderr).toBe(0)
    const limitOn = async (node: AgentProc) => (JSON.parse((await fleet.run(['agents', '--json'], node)).stdout) as { id: string; maxMbps: number | null }[]).find((r) => r.id === a.peerId)?.maxMbps
    await fleet.waitFor(async () => (await limitOn(a)) === 10 && (await limitOn(b)) === 10, { timeoutMs: 20_000, message: 'the group limit in force' })
    expect((await fleet.run(['group', 'set', 'Default', '--max-mbps', ''], a)).exitCode).toBe(0)
    expect((await fleet.run(['agent', 'set', 'ba', '--max-mbps', ''], a)).exitCode).toBe(0)
    await fleet.waitFor(async () => (await limitOn(b)) === 20, { timeoutMs: 20_000, message: "ba's own limit again" })
  }, 240_000)
})
