/**
 * Issue 16, agents, with three real agents and the real CLI from every node: `agent set` overrides an
 * agent's own group and capacity fleet-wide (every node's `agents --json` shows it, and the target's
 * scheduler runs with it), `--clear` restores the owner's flags; `agent forget` removes an offline agent
 * from every node's list and refuses an online one; bad values and window syntax errors are one line,
 * exit 1, and write nothing.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { addTask, listTasks, makeShare, readWorkLog, workIntervals } from '../leases/lease-harness.ts'

interface AgentRow {
  id: string
  name: string
  group: string
  state: string
  capacity: number
  maxMbps: number | null
  override: Record<string, unknown>
}

let fleet: Fleet
let a: AgentProc
let b: AgentProc
let c: AgentProc

beforeAll(async () => {
  fleet = await createFleet()
  a = await fleet.start('fa', { args: ['--capacity', '5'] })
  // b's files are slowed, so its tasks overlap long enough to see how many it runs at once
  b = await fleet.start('fb', { peers: [a], args: ['--capacity', '5', '--max-mbps', '300'], env: { MMESH_TEST_FILE_DELAY_MS: '250' } })
  c = await fleet.start('fc', { peers: [a, b] })
  await fleet.waitFor(async () => (await agentsOn(c)).filter((r) => r.state === 'online').length === 3, { timeoutMs: 30_000, message: 'three agents online' })
}, 180_000)

afterAll(async () => {
  await fleet?.cleanup()
})

async function agentsOn(node: AgentProc): Promise<AgentRow[]> {
  const r = await fleet.run(['agents', '--json'], node)
  if (r.exitCode !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout) as AgentRow[]
}

const rowOf = async (node: AgentProc, agent: AgentProc) => (await agentsOn(node)).find((r) => r.id === agent.peerId)

describe('agent set', () => {
  it('overrides group and capacity on every node, and the target schedules with them', async () => {
    const set = await fleet.run(['agent', 'set', 'fb', '--group', 'Night', '--capacity', '2'], c)
    expect(set.exitCode, set.stderr).toBe(0)
    expect(set.stdout).toContain('group=Night capacity=2')
    for (const node of [a, b, c]) {
      await fleet.waitFor(async () => {
        const row = await rowOf(node, b)
        return row?.group === 'Night' && row.capacity === 2 && row.override.group === 'Night' && row.override.capacity === 2
      }, { timeoutMs: 20_000, message: `the override on ${node.name}` })
    }
    // b's own flag stays in force where nothing overrides it
    expect((await rowOf(a, b))?.maxMbps).toBe(300)

    // three Night tasks from a, in one import so they arrive together: only b is in Night, and it runs two at a time
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const json = path.join(src, 'night.json')
    const Tasks = [0, 1, 2].map((i) => ({ SourcePath: makeShare(src, `n${i}`, 6), TargetPath: `file://${dst}`, TargetList: `n${i}`, AgentGroup: 'Night' }))
    fs.writeFileSync(json, JSON.stringify({ Tasks }))
    const imp = await fleet.run(['task', 'import', json], a)
    expect(imp.exitCode, imp.stderr).toBe(0)
    const ids = imp.stdout.trim().split('\n')
    expect(ids).toHaveLength(3)
    await fleet.waitFor(async () => {
      // all three known on c (an empty list is not "all completed") and completed there
      const seen = (await listTasks(fleet, c)).filter((t) => ids.includes(t.id))
      return seen.length === 3 && seen.every((t) => t.status === 'completed')
    }, { timeoutMs: 90_000, message: 'the Night tasks to complete' })
    const tasks = (await listTasks(fleet, a)).filter((t) => ids.includes(t.id))
    expect(tasks.map((t) => t.agent)).toEqual([b.peerId, b.peerId, b.peerId])
    const mine = workIntervals(readWorkLog([a, b, c]), Date.now()).filter((w) => ids.includes(w.taskId))
    expect(mine.every((w) => w.agent === b.peerId)).toBe(true)
    let most = 0
    for (const w of mine) most = Math.max(most, mine.filter((x) => x.from <= w.from && x.to > w.from).length)
    expect(most).toBe(2)
  }, 180_000)

  it('--clear restores the owner flags everywhere; a Night task then waits for an agent of Night', async () => {
    const clear = await fleet.run(['agent', 'set', b.peerId, '--clear'], a)
    expect(clear.exitCode, clear.stderr).toBe(0)
    for (const node of [a, b, c]) {
      await fleet.waitFor(async () => {
        const row = await rowOf(node, b)
        return row?.group === 'Default' && row.capacity === 5 && Object.keys(row.override).length === 0
      }, { timeoutMs: 20_000, message: `the cleared override on ${node.name}` })
    }
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const id = await addTask(fleet, c, makeShare(src, 'late', 2), dst, ['--group', 'Night'])
    const t = await fleet.waitFor(async () => (await listTasks(fleet, b)).find((x) => x.id === id && x.waitingReason), { timeoutMs: 20_000 })
    expect(t.status).toBe('queued')
    expect(t.waitingReason).toMatch(/no online agent in group Night/)
    await fleet.run(['task', 'cancel', id], c)
  }, 60_000)

  it('refuses bad values and window syntax in one line with exit 1, writing nothing', async () => {
    await fleet.converged()
    const before = (await fleet.call<{ sizes: { commands: number } }>(a, 'status')).sizes.commands
    for (const [args, pattern] of [
      [['agent', 'set', 'fb', '--capacity', 'lots'], /^mmesh: --capacity 'lots' is not a whole number from 0 to 1000/],
      [['agent', 'set', 'fb', '--max-mbps', '-3'], /^mmesh: --max-mbps '-3' is not a number of Mbit\/s/],
      [['agent', 'set', 'fb'], /^mmesh: nothing to set: give --group, --capacity or --max-mbps/],
      [['agent', 'set', 'nobody', '--capacity', '1'], /^mmesh: no agent nobody is known to this fleet/],
      [['group', 'set', 'Night', '--window', 'Mon-Fry 19:00-07:00'], /^mmesh: --window 'Mon-Fry 19:00-07:00': "Fry" is not a day: use Mon, Tue/],
      [['group', 'set', 'Night', '--window', 'Mon 19:00-31:00'], /^mmesh: --window 'Mon 19:00-31:00': "19:00-31:00" is not a time range HH:MM-HH:MM/],
      [['group', 'set', 'Night', '--tz', 'Mars/Olympus'], /^mmesh: --tz 'Mars\/Olympus' is not a time zone/],
      [['start', '--data', fleet.tempDir('bad'), '--max-mbps', 'fast'], /^mmesh: --max-mbps must be a number of Mbit\/s/],
    ] as const) {
      const r = await fleet.run([...args], args[0] === 'start' ? undefined : a)
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(1)
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(r.stderr).toMatch(pattern)
    }
    expect((await fleet.call<{ sizes: { commands: number } }>(a, 'status')).sizes.commands).toBe(before)
    const groups = await fleet.run(['group', 'list', '--json'], a)
    expect(JSON.parse(groups.stdout)).toEqual([])
  }, 120_000)
})

describe('agent forget', () => {
  it('refuses an online agent, and removes an offline one from every node', async () => {
    const online = await fleet.run(['agent', 'forget', 'fc'], a)
    expect(online.exitCode).toBe(1)
    expect(online.stderr.trim().split('\n')).toHaveLength(1)
    expect(online.stderr).toMatch(/agent fc \(\S+\) is online: only an agent gone for good can be forgotten/)

    await fleet.kill(c)
    await fleet.waitFor(async () => (await rowOf(a, c))?.state === 'offline', { timeoutMs: 20_000, message: 'fc offline on fa' })
    const forget = await fleet.run(['agent', 'forget', 'fc'], b)
    expect(forget.exitCode, forget.stderr).toBe(0)
    expect(forget.stderr).toContain(`forgot agent fc (${c.peerId})`)
    for (const node of [a, b]) {
      await fleet.waitFor(async () => (await agentsOn(node)).every((r) => r.id !== c.peerId), { timeoutMs: 20_000, message: `fc gone on ${node.name}` })
      expect((await agentsOn(node)).map((r) => r.name).sort()).toEqual(['fa', 'fb'])
    }
  }, 90_000)
})
