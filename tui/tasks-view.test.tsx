import { afterEach, describe, expect, it } from 'vitest'
import { DemoFleet } from '../test/support/demo-fleet.ts'
import { KEYS, mount, overwide, type Mounted } from './test-kit.tsx'

let m: Mounted | undefined
afterEach(() => m?.unmount())

const rowsOf = (f: string): string[] => f.split('\n').filter((l) => /^[▶ ] share-\d{5}/.test(l))
const selected = (f: string): string => f.split('\n').find((l) => l.startsWith('▶ ')) ?? ''

describe('Tasks view', () => {
  it('shows name, status, agent, a progress bar by bytes, files done/total, throughput and ETA', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 0 })
    const { id } = await fleet.addTask({ source: '\\\\fs01\\finance\\q3', dest: 'https://contoso.sharepoint.com/sites/fin', name: 'finance-q3' })
    const agent = fleet.getSnapshot().agents[1]!
    const MB = 1024 * 1024
    fleet.patchTask(id, { status: 'in-progress', agent: agent.id, counts: { scanned: 12, toMigrate: 10, migrated: 5, unchanged: 0, skipped: 2, failed: 0 }, bytes: { total: 100 * MB, migrated: 50 * MB } })
    fleet.update(() => ({ live: { [id]: { taskId: id, agent: agent.id, throughput: MB, bytesDone: 50 * MB, filesDone: 5 } } }))
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    const f = await m.waitFor('finance-q3')
    expect(f).toMatch(/▶ finance-q3\s+in-progress vm-02\s+███░░\s+50%\s+5\/10\s+1\.0MB\/s\s+50s/)
    // The route of the selected task sits under the table at 80 columns.
    expect(f).toContain('\\\\fs01\\finance\\q3 → https://contoso.sharepoint.com/sites/fin/Documents')
    expect(f).toContain('Tasks 1 · sort status ↑')
    expect(overwide(f, 80)).toEqual([])
    // A wide terminal shows the route as a column instead.
    await m.resize(180, 30)
    const wide = await m.waitFor('SOURCE → DESTINATION')
    expect(wide).toMatch(/finance-q3\s+\\\\fs01\\finance\\q3 → https:\/\/contoso\.sharepoint\.com\/sites\/fin\/Documents\s+in-progress/)
  })

  it('moves with j/k and arrows, scrolls by page, jumps with g/G, and keeps the cursor on screen', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 60 })
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    let f = await m.waitFor('Tasks 60')
    const first = rowsOf(f)
    expect(first.length).toBe(15) // 24 rows: header, title, heads, 15 rows, route, filter, status, 2 footer lines, 1 spare
    const name = (l: string): string => l.slice(2).split(/\s+/)[0]!
    expect(name(selected(f))).toBe(name(first[0]!))
    await m.press('j', 'j', KEYS.down)
    f = await m.waitFor((x) => name(selected(x)) === name(first[3]!))
    await m.press('k')
    f = await m.waitFor((x) => name(selected(x)) === name(first[2]!))
    await m.press(KEYS.up)
    f = await m.waitFor((x) => name(selected(x)) === name(first[1]!))
    await m.press(KEYS.pageDown)
    f = await m.waitFor((x) => !rowsOf(x).map(name).includes(name(first[0]!)))
    expect(rowsOf(f).length).toBe(15)
    expect(rowsOf(f).some((l) => l.startsWith('▶ '))).toBe(true)
    await m.press('G')
    f = await m.waitFor((x) => rowsOf(x).at(-1)!.startsWith('▶ '))
    await m.press('g')
    f = await m.waitFor((x) => name(selected(x)) === name(first[0]!))
    expect(rowsOf(f).map(name)).toEqual(first.map(name))
  })

  it('sorts with s (next column) and S (reverse)', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 40 })
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    let f = await m.waitFor('sort status ↑')
    // Status sort puts running work first.
    expect(rowsOf(f)[0]).toMatch(/in-progress/)
    await m.press('s')
    f = await m.waitFor('sort name ↑')
    expect(rowsOf(f)[0]).toMatch(/^▶ share-00000 /)
    expect(rowsOf(f)[1]).toMatch(/share-00001 /)
    await m.press('S')
    f = await m.waitFor('sort name ↓')
    expect(rowsOf(f)[0]).toMatch(/share-00039 /)
    await m.press('s')
    f = await m.waitFor('sort progress ↑')
    expect(rowsOf(f)[0]).toMatch(/ 0%|░░░░░/)
  })

  it('filters by text with /, by status with status: or f, and Esc clears', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 50 })
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.waitFor('Tasks 50')
    await m.press('/')
    await m.waitFor('text or status:failed')
    await m.type('share-0001')
    let f = await m.waitFor('Tasks 10 of 50')
    expect(rowsOf(f).map((l) => l.slice(2, 13)).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `share-000${10 + i}`))
    await m.press(KEYS.backspace, KEYS.backspace)
    f = await m.waitFor('Tasks 50 · sort status ↑ · filter "share-00"')
    await m.type(' status:failed')
    f = await m.waitFor(/Tasks \d+ of 50 .*status:failed/)
    const failed = fleet.getSnapshot().tasks.filter((t) => t.status === 'failed').length
    expect(f).toContain(`Tasks ${failed} of 50`)
    for (const r of rowsOf(f)) expect(r).toMatch(/ failed /)
    await m.press(KEYS.enter) // keeps the filter, leaves the line
    f = await m.waitFor((x) => x.includes('filter "share-00 status:failed"') && !x.includes('type filter'))
    await m.press('j') // keys move again (they are not typed into the filter)
    expect(m.frame()).toContain('filter "share-00 status:failed"')
    await m.press('/', KEYS.escape)
    f = await m.waitFor('Tasks 50 ·')
    await m.press('f')
    await m.waitFor('filter status scheduled')
    await m.press('f')
    f = await m.waitFor('filter status queued')
    for (const r of rowsOf(f)) expect(r).toMatch(/ queued /)
    await m.press('f')
    f = await m.waitFor('filter status scanning')
    await m.press(KEYS.escape)
    await m.waitFor('Tasks 50 ·')
  })

  it('p pauses and resumes the selected task, r reruns a finished one, and the table shows it', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 0 })
    const a = await fleet.addTask({ source: '/srv/a', dest: 'file:///tmp/out', name: 'alpha' })
    const b = await fleet.addTask({ source: '/srv/b', dest: 'file:///tmp/out', name: 'beta' })
    fleet.patchTask(b.id, { status: 'completed' })
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.waitFor('▶ alpha')
    await m.press('p')
    let f = await m.waitFor('Paused alpha')
    expect(f).toMatch(/alpha\s+paused/)
    await m.press('p')
    f = await m.waitFor('Resumed alpha')
    expect(f).toMatch(/alpha\s+queued/)
    await m.press('j')
    await m.waitFor('▶ beta')
    await m.press('p')
    await m.waitFor('beta is completed: nothing to pause')
    await m.press('r')
    f = await m.waitFor('Rerun started for beta')
    expect(f).toMatch(/beta\s+queued/)
    expect(fleet.calls.map((c) => [c.action, c.arg])).toEqual([
      ['addTask', expect.anything()],
      ['addTask', expect.anything()],
      ['pause', a.id],
      ['resume', a.id],
      ['rerun', b.id],
    ])
  })

  it("filters as task list does: tag:, group:, agent: and text words combine; an unknown status is named", async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 0 })
    const [a1, a2] = fleet.getSnapshot().agents
    const wave = await fleet.addTask({ source: '/srv/hr', dest: 'file:///tmp/out', name: 'hr-wave', group: 'Night' })
    const other = await fleet.addTask({ source: '/srv/hr2', dest: 'file:///tmp/out', name: 'hr-other', group: 'Night' })
    await fleet.addTask({ source: '/srv/fin', dest: 'file:///tmp/out', name: 'fin-wave' })
    fleet.patchTask(wave.id, { tags: ['Wave 1'], agent: a2!.id, status: 'completed' })
    fleet.patchTask(other.id, { tags: ['wave 1'], agent: a1!.id, status: 'completed' })
    m = await mount(fleet, fleet, { initialView: 'tasks', columns: 120 })
    await m.waitFor('Tasks 3 ·')
    await m.press('/')
    await m.type('tag:"Wave 1"')
    let f = await m.waitFor('Tasks 1 of 3')
    expect(f).toContain('hr-wave')
    await m.press(KEYS.escape)
    await m.press('/')
    await m.type('group:night hr')
    f = await m.waitFor('Tasks 2 of 3')
    expect(f).not.toContain('fin-wave')
    await m.type(` agent:${a1!.name}`)
    f = await m.waitFor('Tasks 1 of 3')
    expect(f).toContain('hr-other')
    await m.press(KEYS.escape)
    await m.press('/')
    await m.type('status:nope')
    await m.press(KEYS.enter)
    await m.waitFor('unknown status in filter: status:nope')
  })

  it('A archives and unarchives, D deletes after y (n keeps it); a running task is refused with the fix', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 0 })
    const a = await fleet.addTask({ source: '/srv/a', dest: 'file:///tmp/out', name: 'alpha' })
    const b = await fleet.addTask({ source: '/srv/b', dest: 'file:///tmp/out', name: 'beta' })
    fleet.patchTask(a.id, { status: 'in-progress' })
    fleet.patchTask(b.id, { status: 'completed' })
    m = await mount(fleet, fleet, { initialView: 'tasks', columns: 120 })
    await m.waitFor('▶ alpha')
    await m.press('A')
    await m.waitFor('alpha is in-progress: pause (p) or cancel it first, then archive it')
    await m.press('D')
    await m.waitFor('alpha is in-progress: pause (p) or cancel it first, then delete it')
    await m.press('j')
    await m.waitFor('▶ beta')
    await m.press('A')
    let f = await m.waitFor('Archived beta')
    expect(f).toContain('Tasks 1 ·')
    await m.press('/')
    await m.type('archived')
    await m.press(KEYS.enter)
    await m.waitFor('▶ beta')
    await m.press('A')
    await m.waitFor('Unarchived beta')
    await m.press(KEYS.escape)
    f = await m.waitFor('Tasks 2 ·')
    await m.press('j')
    await m.waitFor('▶ beta')
    await m.press('D')
    await m.waitFor('Delete beta for good')
    await m.press('n')
    f = await m.waitFor((x) => !x.includes('Delete beta for good'))
    expect(f).toContain('beta')
    await m.press('D')
    await m.waitFor('Delete beta for good')
    await m.press('y')
    f = await m.waitFor('Deleted beta')
    expect(f).toContain('Tasks 1 ·')
    expect(fleet.calls.filter((c) => c.action !== 'addTask').map((c) => [c.action, c.arg])).toEqual([
      ['archive', b.id],
      ['unarchive', b.id],
      ['delete', b.id],
    ])
  })

  it('keeps working with 50,000 tasks (rows drawn for the screen only)', async () => {
    const fleet = new DemoFleet({ agents: 50, tasks: 50_000 })
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    let f = await m.waitFor('Tasks 50000', 10_000)
    expect(rowsOf(f).length).toBe(15)
    const before = selected(f)
    await m.press('j')
    f = await m.waitFor((x) => selected(x) !== before && rowsOf(x)[1]!.startsWith('▶ '))
    await m.press('/')
    await m.type('share-4999')
    f = await m.waitFor('Tasks 10 of 50000', 5000)
    for (const r of rowsOf(f)) expect(r).toMatch(/share-4999\d/)
  })
})
