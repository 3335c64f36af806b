import { afterEach, describe, expect, it } from 'vitest'
import { DemoFleet } from '../test/support/demo-fleet.ts'
import { KEYS, mount, overwide, type Mounted } from './test-kit.tsx'
import { HELP_LINES } from './help-view.tsx'

let m: Mounted | undefined
afterEach(() => m?.unmount())

const CLEAR = '\u0015' // Ctrl+U empties the focused field
const flat = (f: string): string => f.replace(/\s+/g, ' ')

async function twoTasks(): Promise<{ fleet: DemoFleet; waiting: string; busy: string }> {
  const fleet = new DemoFleet({ agents: 3, tasks: 0 })
  const { id: waiting } = await fleet.addTask({ source: '\\\\fs01\\legal', dest: 'https://contoso.sharepoint.com/sites/legal', name: 'legal' })
  const { id: busy } = await fleet.addTask({ source: '\\\\fs01\\hr', dest: 'https://contoso.sharepoint.com/sites/hr', name: 'hr' })
  fleet.patchTask(waiting, { tags: ['old'] })
  fleet.patchTask(busy, { status: 'in-progress', agent: fleet.getSnapshot().agents[1]!.id })
  return { fleet, waiting, busy }
}

describe('E: edit a task', () => {
  it('edits name, group, start time and tags of a waiting task from its detail; sends only what changed', async () => {
    const { fleet, waiting } = await twoTasks()
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.waitFor('legal')
    await m.press('/')
    await m.type('legal')
    await m.press(KEYS.enter)
    await m.waitFor('▶ legal')
    await m.press(KEYS.enter)
    await m.waitFor('Item summary')
    await m.press('E')
    let f = await m.waitFor('Edit legal (queued)')
    expect(f).toMatch(/› Name\s+legal/)
    expect(f).toMatch(/Tags\s+old/)
    expect(overwide(f, 80)).toEqual([])
    await m.press(CLEAR)
    await m.type('legal-2024')
    await m.press(KEYS.tab)
    await m.type('night')
    await m.waitFor(/Group\s+Defaultnight/)
    await m.press(CLEAR)
    await m.type('night')
    await m.press(KEYS.tab)
    await m.type('2030-01-02T19:00:00Z')
    await m.press(KEYS.tab, CLEAR)
    await m.type('wave1; finance, hr')
    await m.waitFor('wave1; finance, hr')
    await m.press(KEYS.enter)
    // back in the detail it came from, with the result in the status line
    f = await m.waitFor((x) => x.includes('Edited legal: name, group, start time, tags') && x.includes('Item summary'))
    await m.waitFor(/legal-2024\s+scheduled/)
    expect(fleet.calls.filter((c) => c.action === 'editTask').map((c) => c.arg)).toEqual([
      { id: waiting, name: 'legal-2024', group: 'night', startAt: '2030-01-02T19:00:00Z', tags: ['wave1', 'finance', 'hr'] },
    ])
    const t = fleet.getSnapshot().tasks.find((x) => x.id === waiting)!
    expect(t).toMatchObject({ name: 'legal-2024', group: 'night', startAt: '2030-01-02T19:00:00.000Z', tags: ['wave1', 'finance', 'hr'], status: 'scheduled' })

    // emptying the start time and the tags: Run later dropped (`now`), every tag removed
    await m.press('E')
    await m.waitFor('Edit legal-2024 (scheduled)')
    await m.press(KEYS.tab, KEYS.tab, CLEAR, KEYS.tab, CLEAR)
    await m.waitFor('wave1; finance (; or , between tags)') // the empty field's placeholder
    await m.press(KEYS.enter)
    await m.waitFor('Edited legal-2024: start time, tags')
    expect(fleet.calls.filter((c) => c.action === 'editTask').at(-1)!.arg).toEqual({ id: waiting, startAt: 'now', clearTags: true })
    expect(fleet.getSnapshot().tasks.find((x) => x.id === waiting)).toMatchObject({ startAt: null, tags: [], status: 'queued' })
  })

  it('shows a refused edit in one line in the form and changes nothing; a running task and an unchanged form are refused', async () => {
    const { fleet, waiting } = await twoTasks()
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.waitFor('hr')
    await m.press('/')
    await m.type('hr')
    await m.press(KEYS.enter)
    await m.waitFor('▶ hr')
    await m.press('E')
    await m.waitFor('hr is in-progress: pause or cancel it first, then edit it')
    expect(fleet.calls.some((c) => c.action === 'editTask')).toBe(false)

    await m.press(KEYS.escape) // clears the filter
    await m.press('/')
    await m.type('legal')
    await m.press(KEYS.enter)
    await m.waitFor('▶ legal')
    await m.press('E')
    await m.waitFor('Edit legal')
    await m.press(KEYS.enter)
    await m.waitFor('nothing changed: change a field, or Esc to leave')
    await m.press(KEYS.tab, KEYS.tab)
    await m.type('tomorrow')
    await m.press(KEYS.enter)
    const f = await m.waitFor((x) => flat(x).includes('start-at') && flat(x).includes('tomorrow'))
    expect(f).toContain('Edit legal') // still in the form, to fix the field
    expect(overwide(f, 80)).toEqual([])
    expect(fleet.getSnapshot().tasks.find((x) => x.id === waiting)).toMatchObject({ name: 'legal', startAt: null, tags: ['old'] })
    await m.press(KEYS.escape)
    await m.waitFor('▶ legal')
  })
})

describe('Fleet view: s sets an agent override, F forgets an agent', () => {
  it("sets group, capacity and max Mbit/s (an empty field clears it); a bad value is shown in the form", async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 0 })
    const vm2 = fleet.getSnapshot().agents[1]!
    m = await mount(fleet, fleet)
    await m.waitFor('vm-03')
    await m.press('j')
    await m.waitFor('▶ vm-02')
    await m.press('s')
    let f = await m.waitFor("Override vm-02's own flags")
    expect(overwide(f, 80)).toEqual([])
    await m.type('night')
    await m.press(KEYS.tab)
    await m.type('x2')
    await m.press(KEYS.enter)
    await m.waitFor((x) => flat(x).includes("--capacity 'x2' is not a whole number from 0 to 1000, or '' to clear"))
    await m.press(KEYS.backspace, KEYS.backspace)
    await m.type('2')
    await m.press(KEYS.tab)
    await m.type('40')
    await m.press(KEYS.enter)
    f = await m.waitFor('Set vm-02: group night, capacity 2, max 40 Mbit/s')
    expect(f).toMatch(/vm-02.*night.*0\/2/)
    expect(fleet.calls.filter((c) => c.action === 'setAgent').map((c) => c.arg).at(-1)).toEqual({ agent: vm2.id, group: 'night', capacity: '2', maxMbps: '40' })
    // opened again it starts from the override; emptying capacity clears only that one
    await m.press('s')
    f = await m.waitFor(/› Group\s+night/)
    expect(f).toMatch(/Capacity\s+2/)
    await m.press(KEYS.tab, CLEAR, KEYS.enter)
    await m.waitFor('Set vm-02: group night, max 40 Mbit/s')
    expect(fleet.calls.filter((c) => c.action === 'setAgent').map((c) => c.arg).at(-1)).toEqual({ agent: vm2.id, group: 'night', capacity: '', maxMbps: '40' })
    expect(fleet.getSnapshot().agents[1]).toMatchObject({ group: 'night', capacity: 5, override: { group: 'night', maxMbps: 40 } })
  })

  it('F asks first; y forgets an offline agent, an online one is refused with the reason, n keeps it', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 0 })
    const [vm1, , vm3] = fleet.getSnapshot().agents
    fleet.update((s) => ({ agents: s.agents.map((a, i) => (i === 2 ? { ...a, state: 'offline' as const } : a)) }))
    m = await mount(fleet, fleet)
    await m.waitFor('vm-03')
    await m.press('F')
    await m.waitFor('Forget agent vm-01 (it shows again if it comes back online)? y yes, n no')
    await m.press('y')
    await m.waitFor((x) => flat(x).includes('could not forget vm-01: agent vm-01') && flat(x).includes('is online'))
    await m.press('G')
    await m.waitFor('▶ vm-03')
    await m.press('F')
    await m.waitFor('Forget agent vm-03')
    await m.press('n')
    await m.waitFor((x) => !x.includes('Forget agent'))
    expect(fleet.getSnapshot().agents).toHaveLength(3)
    await m.press('F')
    await m.waitFor('Forget agent vm-03')
    await m.press('y')
    const f = await m.waitFor('Forgot agent vm-03')
    expect(f).not.toMatch(/vm-03\s+vm-03\.corp/)
    expect(fleet.calls.filter((c) => c.action === 'forgetAgent').map((c) => c.arg)).toEqual([vm1!.id, vm3!.id])
  })

  it('the help and the key hints name the new keys', async () => {
    expect(HELP_LINES.map(([k]) => k)).toEqual(expect.arrayContaining(['A  D  E', 's  F']))
    const fleet = new DemoFleet({ agents: 3, tasks: 3 })
    m = await mount(fleet, fleet)
    let f = await m.waitFor('tasks of agent')
    expect(flat(f)).toContain('s set group/capacity F forget')
    await m.press('?')
    f = await m.waitFor('Keys')
    expect(f).toContain("Fleet: set agent's group/capacity/max-mbps; forget it (asks)")
    expect(f).toContain('delete (asks); edit name/group/start/tags')
    expect(overwide(f, 80)).toEqual([])
  })
})
