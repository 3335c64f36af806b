/**
 * Issue 16, "disk guard": an agent whose data dir's file system (a real 64 MB tmpfs here) has less free
 * space than `--min-free-mb` claims nothing new, says why in `agents`, `agents --json` (on itself and on
 * a peer, through its heartbeat) and in the waiting task's reason, and claims again once space returns.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { needTool } from '../support/system-tools.ts'
import { canMount, releaseAll, tmpfs } from './mounts.ts'
import { listTasks, makeShare } from '../leases/lease-harness.ts'

const MIN_FREE_MB = 40
const MB = 1024 * 1024
let fleet: Fleet
let mountsOk = false
const mountTool = needTool('mount', 'makes a small file system for the data dir')
const NO_MOUNTS = 'mounting is not permitted here (needs root with CAP_SYS_ADMIN)'

interface AgentRow { name: string; state: string; waitingReason: string | null }

beforeAll(async () => {
  fleet = await createFleet()
  mountsOk = !mountTool.skip && (await canMount(fleet.root))
}, 60_000)

afterAll(async () => {
  await releaseAll()
  await fleet?.cleanup()
})

const freeBytes = (dir: string) => {
  const s = fs.statfsSync(dir)
  return s.bavail * s.bsize
}

async function agentsJson(on: AgentProc): Promise<AgentRow[]> {
  const r = await fleet.run(['agents', '--json'], on)
  expect(r.exitCode, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as AgentRow[]
}

describe('the disk guard (--min-free-mb)', () => {
  it('claims nothing new while its data dir is low on space, says why, and resumes when space returns', async (ctx) => {
    if (!mountsOk) ctx.skip(mountTool.reason || NO_MOUNTS)
    const mnt = fleet.tempDir('small')
    await tmpfs(mnt, '64m')
    const anchor = await fleet.start('anchor')
    const d = await fleet.start('lowdisk', { dir: path.join(mnt, 'data'), peers: [anchor], args: ['--min-free-mb', String(MIN_FREE_MB)] })
    // the anchor runs nothing, so the task can only go to lowdisk
    expect((await fleet.run(['agent', 'disable', 'anchor'], d)).exitCode).toBe(0)
    await waitFor(async () => (await agentsJson(anchor)).find((x) => x.name === 'lowdisk')?.state === 'online', { timeoutMs: 30_000, message: 'lowdisk online' })
    expect((await agentsJson(d)).find((x) => x.name === 'lowdisk')!.waitingReason).toBeNull()

    // Leave 20 MB free, under the 40 MB floor.
    const filler = path.join(mnt, 'filler')
    fs.writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes(mnt) - 20 * MB), 1))
    const low = new RegExp(`^low disk: \\d+ MB free in its data dir, under --min-free-mb ${MIN_FREE_MB}: claims no new tasks until space is freed there`)
    for (const on of [d, anchor]) {
      await waitFor(async () => low.test((await agentsJson(on)).find((x) => x.name === 'lowdisk')?.waitingReason ?? ''), { timeoutMs: 15_000, message: `${on.name} to show lowdisk's reason` })
    }
    const table = await fleet.run(['agents'], anchor)
    expect(table.stdout).toMatch(/^lowdisk low disk: \d+ MB free in its data dir/m)

    const share = makeShare(fleet.tempDir('src'), 'guarded', 5)
    const dst = fleet.tempDir('dst')
    const add = await fleet.run(['task', 'add', '--source', share, '--dest', `file://${dst}`], d)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    const waiting = await waitFor(async () => {
      const t = (await listTasks(fleet, d)).find((x) => x.id === id)
      return t?.waitingReason?.includes('lowdisk: low disk') ? t : null
    }, { timeoutMs: 15_000, message: 'the task to say it waits for disk space' })
    expect(waiting.status).toBe('queued')
    expect(waiting.agent).toBeNull()
    const logged = fs.readFileSync(path.join(mnt, 'data', 'logs', 'agent.log'), 'utf8')
    expect(logged).toContain('data dir low on space: claiming no new tasks')

    // Space back: it claims the task, and says nothing any more.
    fs.rmSync(filler)
    await waitFor(async () => (await listTasks(fleet, anchor)).find((x) => x.id === id)?.status === 'completed', { timeoutMs: 60_000, intervalMs: 300, message: 'the task completed on lowdisk' })
    expect((await listTasks(fleet, anchor)).find((x) => x.id === id)!.agent).toBe(d.peerId)
    await waitFor(async () => (await agentsJson(anchor)).find((x) => x.name === 'lowdisk')?.waitingReason === null, { timeoutMs: 15_000, message: 'the reason gone' })
    expect(fs.readdirSync(dst).sort()).toEqual(fs.readdirSync(share).sort())
    expect((await fleet.run(['agent', 'enable', 'anchor'], d)).exitCode).toBe(0)
  }, 180_000)
})
