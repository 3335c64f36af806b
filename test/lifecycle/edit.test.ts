/**
 * Issue 16, `task edit`, the estimated time left and the fleet view's filter and lifecycle keys, with three
 * real agents (two in group Default, one in group night): an edit made on one node is what runs on
 * another; a running task and a bad value are refused with nothing changed; a finished task's edit is what
 * its rerun uses; `task show` and the summary report say "unknown" until a measurement, then a time; the
 * fleet view attached to the third agent filters by tag and group, archives and deletes.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { connectFleet, type RemoteFleet } from '../../tui/remote.ts'
import { KEYS, mount, type Mounted } from '../../tui/test-kit.tsx'

let fleet: Fleet
let a: AgentProc
let b: AgentProc
let night: AgentProc

interface Shown {
  id: string
  name: string
  group: string
  status: string
  agent: string | null
  round: number
  tags: string[]
  startAt: string | null
  counts: { scanned: number; toMigrate: number; skipped: number; migrated: number }
  settings: { SkipFilesWithExtensions: string[]; MigrateItemsCreatedAfter: string | null }
  timeline: { what: string }[]
  estimatedSecondsLeft: number | null
}

beforeAll(async () => {
  fleet = await createFleet({ env: { MMESH_TEST_FILE_DELAY_MS: '250' } })
  a = await fleet.start('ea')
  b = await fleet.start('eb', { peers: [a] })
  night = await fleet.start('en', { peers: [a], args: ['--group', 'night'] })
  await waitFor(async () => (await fleet.call<{ state: string }[]>(a, 'agents.list')).filter((x) => x.state === 'online').length === 3, { timeoutMs: 30_000, message: 'three agents online' })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

const show = async (agent: AgentProc, id: string): Promise<Shown> => {
  const r = await fleet.run(['task', 'show', id, '--json'], agent)
  expect(r.exitCode, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as Shown
}

const summaryRow = async (agent: AgentProc, id: string): Promise<string> => {
  const out = fleet.tempDir('report')
  const r = await fleet.run(['report', '--out', out, '--task', id], agent)
  expect(r.exitCode, r.stderr).toBe(0)
  const lines = fs.readFileSync(path.join(out, 'Aggregate Summary Report.csv'), 'utf8').trim().split(/\r?\n/)
  expect(lines[0]).toMatch(/,Tags,Estimated time left$/)
  return lines.find((l) => l.includes(id))!
}

let editedId = ''

describe('task edit', () => {
  it("edits a waiting task's settings, name, group, start time and tags from another node; the edited task is what runs", async () => {
    const src = path.join(fleet.tempDir('src'), 'mixed')
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true })
    for (const f of ['a.txt', 'b.tmp', 'sub/c.txt', 'sub/d.tmp']) fs.writeFileSync(path.join(src, f), `${f}\n`)
    const dst = fleet.tempDir('dst')
    const later = new Date(Date.now() + 3_600_000).toISOString()
    const add = await fleet.run(['task', 'add', '--source', src, '--dest', `file://${dst}`, '--start-at', later, '--tag', 'old'], a)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    editedId = id
    await waitFor(async () => (await fleet.run(['task', 'show', id], b)).exitCode === 0, { timeoutMs: 20_000, message: 'the task reached b' })
    const before = await fleet.run(['task', 'show', id], b)
    expect(before.stdout).toMatch(/Status\s+scheduled/)
    expect(before.stdout).toMatch(/Time left\s+unknown/)

    const edit = await fleet.run(['task', 'edit', id.slice(0, 8), '--name', 'renamed', '--group', 'night', '--skip-ext', 'tmp', '--start-at', 'now', '--tag', 'w1', '--tag', 'w2'], b)
    expect(edit.exitCode, edit.stderr).toBe(0)
    expect(edit.stdout.trim()).toBe(`edited ${id}: name, group, start time, settings, tags`)
    expect((await fleet.run(['task', 'wait', id, '--timeout', '60'], night)).exitCode).toBe(0)

    const v = await show(night, id)
    expect(v).toMatchObject({ name: 'renamed', group: 'night', agent: night.peerId, tags: ['w1', 'w2'], startAt: null, status: 'completed', estimatedSecondsLeft: 0 })
    expect(v.settings.SkipFilesWithExtensions).toEqual(['tmp'])
    expect(v.counts.skipped).toBe(2)
    expect(v.timeline.map((t) => t.what)).toContain('edited: name, group, start time, settings, tags')
    expect(fs.readdirSync(dst, { recursive: true }).map(String).sort()).toEqual(['a.txt', 'sub', path.join('sub', 'c.txt')])
    const listed = await fleet.run(['task', 'list', '--json', '--tag', 'w1', '--group', 'night'], a)
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((t) => t.id)).toEqual([id])
    expect(await summaryRow(a, id)).toMatch(/,w1;w2,00:00:00$/)
  }, 120_000)

  it("refuses a running task and bad values, changing nothing; gives a measured time left while it runs; a finished task's edit is what its rerun uses", async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    // many folders: the engine reports progress as its walk moves on, folder by folder (a folder's small
    // files are copied as one batch, slowed here to 250 ms a file)
    const share = path.join(src, 'big')
    for (let d = 0; d < 120; d++) for (let f = 0; f < 4; f++) {
      fs.mkdirSync(path.join(share, `d${d}`), { recursive: true })
      fs.writeFileSync(path.join(share, `d${d}`, `f${f}.txt`), `folder ${d} file ${f}\n`)
    }
    const add = await fleet.run(['task', 'add', '--source', share, '--dest', `file://${dst}`, '--tag', 'big'], a)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    // measured: while it copies, task show on another node gives a time from the holder's live rate
    const measured = await waitFor(async () => {
      const v = await show(night, id)
      return (v.status === 'scanning' || v.status === 'in-progress') && typeof v.estimatedSecondsLeft === 'number' && v.estimatedSecondsLeft > 0 ? v : null
    }, { timeoutMs: 60_000, intervalMs: 200, message: 'a measured time left' })
    const refused = await fleet.run(['task', 'edit', id, '--name', 'nope'], night)
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(/is (scanning|in-progress): pause or cancel it first/)
    expect(measured.estimatedSecondsLeft).toBeLessThan(600)
    expect((await fleet.run(['task', 'show', id], b)).stdout).toMatch(/Time left\s+(at least )?\d+(s|m\d\ds|h\d\dm) \((the walk is still finding items; )?estimated from the measured rate\)/)
    expect(await summaryRow(b, id)).toMatch(/,big,\d\d:\d\d:\d\d$/)

    expect((await fleet.run(['task', 'wait', id, '--timeout', '90'], a)).exitCode).toBe(0)

    for (const bad of [['--created-after', '2024-13-45'], ['--start-at', 'tomorrow'], ['--tag', 'x', '--no-tags'], []]) {
      const r = await fleet.run(['task', 'edit', id, ...bad], b)
      expect(r.exitCode, bad.join(' ')).toBe(1)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
    }
    const unchanged = await show(a, id)
    expect(unchanged.name).toBe('big')
    expect(unchanged.settings.MigrateItemsCreatedAfter).toBeNull()
    expect(unchanged.timeline.map((t) => t.what).filter((w) => w.startsWith('edited'))).toEqual([])

    // a finished task: the edit changes what its next round does (every file is a .txt now skipped)
    expect((await fleet.run(['task', 'edit', id, '--skip-ext', 'txt', '--no-tags'], night)).exitCode).toBe(0)
    await waitFor(async () => (await show(a, id)).tags.length === 0, { timeoutMs: 20_000, message: 'the edit reached a' })
    expect((await fleet.run(['task', 'rerun', id], a)).exitCode).toBe(0)
    expect((await fleet.run(['task', 'wait', id, '--timeout', '60'], b)).exitCode).toBe(0)
    const rerun = await show(b, id)
    expect(rerun).toMatchObject({ round: 1, status: 'completed', tags: [] })
    expect(rerun.counts.skipped).toBe(480)
    expect(rerun.counts.migrated).toBe(0)
  }, 180_000)
})

describe('the fleet view attached to the third agent', () => {
  it('filters by tag and group as task list does, archives with A, deletes with D after y', async () => {
    expect(editedId).not.toBe('')
    let remote: RemoteFleet | undefined
    let m: Mounted | undefined
    try {
      remote = await connectFleet(night.dir)
      m = await mount(remote.source, remote.actions, { initialView: 'tasks', columns: 120, rows: 30 })
      await m.waitFor('renamed', 15_000)
      await m.press('/')
      await m.type('tag:w1 group:night')
      await m.press(KEYS.enter)
      let f = await m.waitFor((x) => /Tasks 1 of \d+/.test(x) && x.includes('▶ renamed'), 10_000)
      expect(f).not.toContain(' big ')
      await m.press('A')
      await m.waitFor('Archived renamed', 10_000)
      await waitFor(async () => {
        const r = await fleet.run(['task', 'list', '--json', '--archived'], a)
        return (JSON.parse(r.stdout) as { id: string }[]).some((t) => t.id === editedId)
      }, { timeoutMs: 20_000, message: 'the archive reached a' })
      await m.press(KEYS.escape)
      await m.press('/')
      await m.type('archived tag:w1')
      await m.press(KEYS.enter)
      f = await m.waitFor((x) => x.includes('filter "archived tag:w1"') && x.includes('▶ renamed'), 10_000)
      await m.press('D')
      await m.waitFor('Delete renamed for good', 5000)
      await m.press('y')
      await m.waitFor('Deleted renamed', 10_000)
      await waitFor(async () => (await fleet.run(['task', 'show', editedId], b)).exitCode === 1, { timeoutMs: 20_000, message: 'the delete reached b' })
      const gone = await fleet.run(['task', 'show', editedId], b)
      expect(gone.stderr).toContain(`no task ${editedId}`)
    } finally {
      m?.unmount()
      remote?.close()
    }
  }, 120_000)
})
