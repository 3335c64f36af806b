/**
 * The fleet view's "Latest failures" shows the failed items of a task wherever the fleet holds them:
 * here the view is attached to an agent that joined after the task ended, so its own item store has
 * none of the round (the writer copied it to the agents online then), and the agent asks the writer.
 * Real agents, real ink rendering, and failures that really happened (name collisions in the share).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import path from 'node:path'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { SourceTree } from '../fixtures/source-tree.ts'
import { DEFAULT_SETTINGS } from '../../protocol/settings.ts'
import { connectFleet, type RemoteFleet } from '../../tui/remote.ts'
import { KEYS, mount, type Mounted } from '../../tui/test-kit.tsx'

let fleet: Fleet
let writer: AgentProc
let replica: AgentProc

beforeAll(async () => {
  fleet = await createFleet()
  writer = await fleet.start('lf-writer')
  replica = await fleet.start('lf-replica', { peers: [writer] })
  await waitFor(async () => (await fleet.call<{ state: string }[]>(writer, 'agents.list')).filter((a) => a.state === 'online').length === 2, { timeoutMs: 30_000 })
}, 90_000)

afterAll(async () => {
  await fleet?.cleanup()
})

describe('Latest failures in the task detail', () => {
  it("shows a round's failed items to a view attached to an agent that holds none of them", async () => {
    const tree = await SourceTree.create({ root: path.join(fleet.tempDir('src'), 'share'), smallFiles: 20, depth: 2 })
    const dst = fleet.tempDir('dst')
    // the writer's group only: the task runs on lf-writer, and its items are copied to lf-replica
    const add = await fleet.run(['task', 'add', '--source', tree.root, '--dest', `file://${dst}`, '--name', 'collisions'], writer)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    const done = await waitFor(async () => {
      const t = await fleet.call<{ status: string; agent: string; counts: { failed: number } }>(writer, 'task.show', { id })
      return t.status === 'completed' ? t : null
    }, { timeoutMs: 90_000, message: 'the task to complete' })
    const failed = [...tree.expected(DEFAULT_SETTINGS, path.join(dst, 'Documents')).entries()].filter(([, e]) => e.status === 'Failed')
    expect(failed.length).toBeGreaterThan(0)
    expect(done.counts.failed).toBe(failed.length)

    // joins after the round ended: nothing of the round in its store
    const late = await fleet.start('lf-late', { peers: [writer, replica] })
    await waitFor(async () => (await fleet.call<{ id: string }[]>(late, 'task.list')).some((t) => t.id === id), { timeoutMs: 30_000, message: 'the task on the late agent' })
    const shown = await fleet.call<{ recentFailures?: { item: string }[]; itemHolders: Record<string, string[]> }>(late, 'task.show', { id })
    expect(shown.itemHolders['0']).not.toContain(late.peerId)
    expect(shown.recentFailures?.map((f) => f.item).sort()).toEqual(failed.map(([rel]) => rel).sort())

    let remote: RemoteFleet | undefined
    let m: Mounted | undefined
    try {
      remote = await connectFleet(late.dir)
      m = await mount(remote.source, remote.actions, { initialView: 'tasks', columns: 140, rows: 50 })
      await m.waitFor('collisions', 15_000)
      await m.press(KEYS.enter)
      const frame = await m.waitFor((f) => failed.every(([rel]) => f.includes(`${rel}: `)), 20_000)
      expect(frame).toContain('Latest failures')
      expect(frame).not.toContain('details not loaded yet')
    } finally {
      m?.unmount()
      remote?.close()
    }
  }, 180_000)
})
