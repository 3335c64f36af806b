import { afterEach, describe, expect, it } from 'vitest'
import { DemoFleet } from './demo-fleet.ts'
import { mount, type Mounted } from '../../tui/test-kit.tsx'

let m: Mounted | undefined
afterEach(() => m?.unmount())

describe('DemoFleet (the in-memory fleet behind tests and mmesh demo)', () => {
  it('step() has agents claim queued tasks, copy, and complete them, and the view follows', async () => {
    const fleet = new DemoFleet({ agents: 2 })
    for (const n of ['one', 'two', 'three']) await fleet.addTask({ source: `/srv/${n}`, dest: 'file:///tmp/dest', name: n })
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.waitFor(/one\s+queued/)
    fleet.step(1)
    let f = await m.waitFor(/one\s+in-progress\s+vm-0\d/)
    expect(f).toMatch(/three\s+in-progress/)
    expect(fleet.getSnapshot().agents.reduce((n, a) => n + a.running, 0)).toBe(3)
    for (let i = 0; i < 20 && fleet.getSnapshot().tasks.some((t) => t.status !== 'completed'); i++) fleet.step(5)
    f = await m.waitFor((x) => ['one', 'two', 'three'].every((n) => new RegExp(`${n}\\s+completed`).test(x)))
    expect(f).toMatch(/100%/)
    const t = fleet.getSnapshot().tasks[0]!
    expect(t.bytes.migrated).toBe(t.bytes.total)
    expect(t.timeline.map((e) => e.what)).toEqual(['created by vm-01', expect.stringMatching(/^claimed by vm-0\d$/), 'finished: completed'])
    await m.press('\t')
    f = await m.waitFor('completed 3')
    expect(f).toMatch(/vm-01.*online\s+0\/5/)
  })

  it('refuses what the protocol refuses: bad input to addTask, a bad import, an action on a missing task', async () => {
    const fleet = new DemoFleet()
    await expect(fleet.addTask({ source: 'nope', dest: 'https://contoso.sharepoint.com/sites/a' })).rejects.toThrow(/source: "nope" is not a UNC path/)
    expect(fleet.validateTask({ source: '/srv/a', dest: 'ftp://x' }).dest).toMatch(/^dest:/)
    expect(fleet.validateTask({ source: '/srv/a', dest: 'https://contoso.sharepoint.com/sites/a' })).toEqual({})
    await expect(fleet.pause('missing')).rejects.toThrow('no task missing')
    expect(fleet.getSnapshot().tasks).toHaveLength(0)
  })
})
