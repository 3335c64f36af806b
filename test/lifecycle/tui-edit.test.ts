/**
 * Issue 16, from the fleet view: the real TUI attached to one of three real agents edits a task (E),
 * overrides another agent's group and capacity (s) and forgets an agent (F; refused while it is online,
 * with the agent's own message); each change is then read through the CLI on a different node.
 */
import path from 'node:path'
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { connectFleet, type RemoteFleet } from '../../tui/remote.ts'
import { KEYS, mount, type Mounted } from '../../tui/test-kit.tsx'

interface AgentRow {
  id: string
  name: string
  group: string
  state: string
  capacity: number
  override: Record<string, unknown>
}

let fleet: Fleet
let a: AgentProc
let b: AgentProc
let c: AgentProc
let remote: RemoteFleet | undefined
let m: Mounted | undefined

const CLEAR = '\u0015' // Ctrl+U empties the focused field
const flat = (f: string): string => f.replace(/\s+/g, ' ')

beforeAll(async () => {
  fleet = await createFleet()
  a = await fleet.start('ta')
  b = await fleet.start('tb', { peers: [a] })
  c = await fleet.start('tc', { peers: [a, b] })
  await waitFor(async () => (await fleet.call<{ state: string }[]>(a, 'agents.list')).filter((x) => x.state === 'online').length === 3, { timeoutMs: 30_000, message: 'three agents online' })
  remote = await connectFleet(a.dir)
  m = await mount(remote.source, remote.actions, { initialView: 'tasks', columns: 120, rows: 30 })
}, 120_000)

afterAll(async () => {
  m?.unmount()
  remote?.close()
  await fleet?.cleanup()
})

async function agentsOn(node: AgentProc): Promise<AgentRow[]> {
  const r = await fleet.run(['agents', '--json'], node)
  if (r.exitCode !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout) as AgentRow[]
}

/** Moves the Fleet view's cursor to the agent named `name` (the order is the node's, not the test's). */
async function select(name: string): Promise<void> {
  await m!.press('g')
  const at = new RegExp(`▶ ${name}\\s`)
  for (let i = 0; i < 4 && !at.test(m!.frame()); i++) await m!.press('j')
  await m!.waitFor(at, 5000)
}

describe('the fleet view attached to ta', () => {
  it('E edits the name, group and tags of a scheduled task; tc shows the edit', async () => {
    const src = path.join(fleet.tempDir('src'), 'payroll')
    fs.mkdirSync(src, { recursive: true })
    fs.writeFileSync(path.join(src, 'a.txt'), 'a\n')
    const later = new Date(Date.now() + 3_600_000).toISOString()
    const add = await fleet.run(['task', 'add', '--source', src, '--dest', `file://${fleet.tempDir('dst')}`, '--start-at', later, '--tag', 'old'], b)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    await m!.waitFor('payroll', 20_000)
    await m!.press('/')
    await m!.type('payroll')
    await m!.press(KEYS.enter)
    await m!.waitFor('▶ payroll', 10_000)
    await m!.press('E')
    await m!.waitFor('Edit payroll (scheduled)', 5000)
    await m!.press(CLEAR)
    await m!.type('payroll-tui')
    await m!.press(KEYS.tab, CLEAR)
    await m!.type('night')
    await m!.press(KEYS.tab, KEYS.tab, CLEAR)
    await m!.type('w1; w2')
    await m!.waitFor('w1; w2', 5000)
    await m!.press(KEYS.enter)
    await m!.waitFor('Edited payroll: name, group, tags', 20_000)

    const shown = await waitFor(async () => {
      const r = await fleet.run(['task', 'show', id, '--json'], c)
      const v = r.exitCode === 0 ? (JSON.parse(r.stdout) as { name: string; group: string; tags: string[]; startAt: string | null; status: string; timeline: { what: string }[] }) : null
      return v?.name === 'payroll-tui' ? v : null
    }, { timeoutMs: 20_000, message: 'the edit on tc' })
    expect(shown).toMatchObject({ group: 'night', tags: ['w1', 'w2'], status: 'scheduled' })
    expect(Date.parse(shown.startAt!)).toBe(Date.parse(later))
    expect(shown.timeline.map((t) => t.what)).toContain('edited: name, group, tags')
    await m!.press(KEYS.escape) // clears the filter
  }, 90_000)

  it("s overrides tb's group and capacity; tc's agents list shows the override", async () => {
    await m!.press(KEYS.tab)
    await m!.waitFor('tasks of agent', 5000)
    await select('tb')
    await m!.press('s')
    await m!.waitFor("Override tb's own flags", 5000)
    await m!.type('Night')
    await m!.press(KEYS.tab)
    await m!.type('lots')
    await m!.press(KEYS.enter)
    // the agent's own check, shown in the form; nothing written
    await m!.waitFor((f) => flat(f).includes("--capacity 'lots' is not a whole number from 0 to 1000"), 10_000)
    await m!.press(CLEAR)
    await m!.type('2')
    await m!.press(KEYS.enter)
    await m!.waitFor('Set tb: group Night, capacity 2', 10_000)
    const row = await waitFor(async () => {
      const r = (await agentsOn(c)).find((x) => x.id === b.peerId)
      return r?.group === 'Night' ? r : null
    }, { timeoutMs: 20_000, message: 'the override on tc' })
    expect(row).toMatchObject({ capacity: 2, override: { group: 'Night', capacity: 2 } })
  }, 60_000)

  it('F on an online agent shows its refusal; once tc is gone, F forgets it and tb no longer lists it', async () => {
    await select('tc')
    await m!.press('F')
    await m!.waitFor('Forget agent tc', 5000)
    await m!.press('y')
    await m!.waitFor((f) => flat(f).includes('could not forget tc: agent tc (') && flat(f).includes('is online: only an agent gone for good can be forgotten'), 10_000)
    expect((await agentsOn(b)).some((x) => x.id === c.peerId)).toBe(true)

    await fleet.kill(c)
    await m!.waitFor(/tc\s.*offline/, 20_000)
    await select('tc')
    await m!.press('F')
    await m!.waitFor('Forget agent tc', 5000)
    await m!.press('y')
    await m!.waitFor('Forgot agent tc', 10_000)
    await waitFor(async () => (await agentsOn(b)).every((x) => x.id !== c.peerId), { timeoutMs: 20_000, message: 'tc gone on tb' })
    expect((await agentsOn(b)).map((x) => x.name).sort()).toEqual(['ta', 'tb'])
  }, 60_000)
})
