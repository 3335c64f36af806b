import { afterEach, describe, expect, it } from 'vitest'
import { DemoFleet } from '../test/support/demo-fleet.ts'
import { mount, overwide, type Mounted } from './test-kit.tsx'

let m: Mounted | undefined
afterEach(() => m?.unmount())

describe('Fleet view', () => {
  it('shows every agent with host, group, state, load, rate and last seen, and the fleet totals', async () => {
    const fleet = new DemoFleet({ agents: 4, tasks: 0 })
    // Two tasks with known numbers: 3 of 10 files and 300 of 1000 bytes done, 100 B/s on vm-02.
    await fleet.addTask({ source: '\\\\fs01\\hr', dest: 'https://contoso.sharepoint.com/sites/hr', name: 'hr' })
    await fleet.addTask({ source: '\\\\fs01\\it', dest: 'https://contoso.sharepoint.com/sites/it', name: 'it' })
    const [a1, a2, , a4] = fleet.getSnapshot().agents
    const [t1] = fleet.getSnapshot().tasks
    fleet.patchTask(t1!.id, { status: 'in-progress', agent: a2!.id, counts: { scanned: 10, toMigrate: 10, migrated: 3, unchanged: 0, skipped: 0, failed: 0 }, bytes: { total: 1000, migrated: 300 } })
    fleet.update((s) => ({
      agents: s.agents.map((a) =>
        a.id === a2!.id
          ? { ...a, running: 1, live: { throughput: 2 * 1024 * 1024, history: [1, 2, 4, 8], version: '0.1.0', backoffUntil: null } }
          : a.id === a4!.id
            ? { ...a, state: 'offline' as const, lastSeen: new Date(Date.parse(s.at) - 125_000).toISOString() }
            : a,
      ),
    }))
    m = await mount(fleet, fleet)
    const f = await m.waitFor('vm-04')
    expect(f).toMatch(/vm-01\s+vm-01\.co/)
    expect(f).toContain('Finance') // vm-04's group
    expect(f).toMatch(/vm-02.*online\s+1\/5\s+2\.0 MB\/s/)
    expect(f).toMatch(/vm-04.*offline.*2m05s ago/)
    expect(f).toMatch(/vm-02.*[▁▂▃▄▅▆▇█]{4}/) // the sparkline of its history
    expect(f).toMatch(/in-progress 1\s+scanning 0\s+queued 1\s+paused 0/)
    expect(f).toMatch(/Files 3 of 10 30%/)
    expect(f).toMatch(/Bytes 300 B of 1000 B 30%/)
    expect(f).toMatch(/Throughput 2\.0 MB\/s/)
    expect(f).toMatch(/Agents 3\/4 online, 1\/15 slots busy/)
    expect(f.split('\n')[0]).toContain(a1!.name) // the header names this agent
    expect(overwide(f, 80)).toEqual([])
  })

  it('shows an online agent outside its work window as off-peak, with when it may work next (UTC)', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 0 })
    const [, a2] = fleet.getSnapshot().agents
    // the next opening two days after the snapshot's time, at 19:00 UTC
    const at = Date.parse(fleet.getSnapshot().at)
    const next = new Date(Date.UTC(new Date(at).getUTCFullYear(), new Date(at).getUTCMonth(), new Date(at).getUTCDate() + 2, 19, 0))
    const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][next.getUTCDay()]!
    fleet.update((s) => ({
      agents: s.agents.map((a) => (a.id === a2!.id ? { ...a, window: { spec: 'Mon-Fri 19:00-07:00', tz: 'UTC', open: false, next: next.toISOString() }, nextWork: next.toISOString() } : a)),
    }))
    m = await mount(fleet, fleet)
    const f = await m.waitFor('off-peak')
    expect(f).toMatch(new RegExp(`vm-02.*off-peak.*${day} 19:00`))
    expect(f).toMatch(/vm-01.*online.*now/)
    expect(f).toContain('SEEN/WORK')
    expect(overwide(f, 80)).toEqual([])
  })

  it('redraws when the data changes, and Enter on an agent lists its tasks', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 30 })
    m = await mount(fleet, fleet)
    await m.waitFor('vm-03')
    fleet.update((s) => ({ agents: s.agents.map((a, i) => (i === 2 ? { ...a, name: 'renamed' } : a)) }))
    await m.waitFor(/renamed\s+vm-03/, 2000)
    await m.press('j')
    const f = await m.waitFor(/▶ vm-02/)
    expect(f).not.toMatch(/▶ vm-01/)
    await m.press('\r')
    const t = await m.waitFor('filter "agent:vm-02"')
    const rows = t.split('\n').filter((l) => /share-\d+/.test(l))
    expect(rows.length).toBeGreaterThan(0)
    for (const r of rows) expect(r).toMatch(/vm-02/)
  })

  it('follows a resize: wider terminals get wider columns, 80 columns never overflow', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 10 })
    fleet.update((s) => ({ agents: s.agents.map((a) => ({ ...a, host: 'a-very-long-host-name.department.corp.example.com' })) }))
    m = await mount(fleet, fleet, { columns: 80, rows: 24 })
    let f = await m.waitFor('vm-03')
    expect(f).not.toContain('a-very-long-host-name.department')
    expect(overwide(f, 80)).toEqual([])
    await m.resize(160, 40)
    f = await m.waitFor('a-very-long-host-name.department')
    expect(Math.max(...f.split('\n').map((l) => l.length))).toBeGreaterThan(80)
    expect(overwide(f, 160)).toEqual([])
    await m.resize(80, 24)
    f = await m.waitFor((x) => !x.includes('a-very-long-host-name.department'))
    expect(overwide(f, 80)).toEqual([])
  })

  it('shows an agent that is catching up on the ledger, with how many records are left', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 0 })
    const third = fleet.getSnapshot().agents[2]!
    fleet.update((s) => ({ agents: s.agents.map((a) => (a.id === third.id ? { ...a, catchingUp: { records: 7500 } } : a)) }))
    m = await mount(fleet, fleet, { columns: 160, rows: 30 })
    let f = await m.waitFor('catching up 7,500 records')
    expect(f).toMatch(/vm-03.*catching up 7,500 records/)
    expect(f).not.toMatch(/vm-0[12].*catching up/)
    await m.resize(80, 24)
    f = await m.waitFor((x) => /vm-03.*catching up 7,500 /.test(x))
    expect(overwide(f, 80)).toEqual([])
    // caught up: the sparkline is back
    fleet.update((s) => ({ agents: s.agents.map((a) => ({ ...a, catchingUp: null })) }))
    f = await m.waitFor((x) => !x.includes('7,500'))
    expect(f).toContain('vm-03')
  })

  it('says why an agent claims no new tasks: at the start of its row, in full under the list while selected', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 0 })
    const reason = 'low disk: 12 MB free in its data dir, under --min-free-mb 256: claims no new tasks until space is freed there (or it is started with a lower --min-free-mb)'
    fleet.update((s) => ({ agents: s.agents.map((a, i) => (i === 1 ? { ...a, waitingReason: `${reason}\u001b[2J` } : a)) }))
    m = await mount(fleet, fleet, { columns: 80, rows: 24 })
    let f = await m.waitFor(/vm-02 .*online.*low disk/)
    expect(f).not.toContain('until space is freed')
    await m.press('j')
    f = await m.waitFor(/▶ vm-02/)
    expect(f).toContain('vm-02 low disk: 12 MB free in its data dir, under --min-free-mb 256')
    // a peer's text cannot drive the terminal
    expect(f).not.toContain('\u001b[2J')
    expect(overwide(f, 80)).toEqual([])
  })
})
