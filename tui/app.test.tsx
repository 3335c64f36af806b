import { afterEach, describe, expect, it } from 'vitest'
import { DemoFleet } from '../test/support/demo-fleet.ts'
import { createThrottledStore, DATA_REDRAW_MS } from './hooks.ts'
import { KEYS, mount, overwide, sleep, type Mounted } from './test-kit.tsx'

let m: Mounted | undefined
afterEach(() => m?.unmount())

describe('Fleet app keys and layout', () => {
  it('Tab switches views, ? opens help and Esc leaves it, the footer lists the keys, q quits', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 20 })
    m = await mount(fleet, fleet)
    let f = await m.waitFor('AGENT')
    for (const k of ['↑↓/jk move', 'Tab view', 'a add', 'i import', 'e export', '? help', 'q quit']) expect(f).toContain(k)
    await m.press(KEYS.tab)
    f = await m.waitFor('sort status')
    for (const k of ['⏎ detail', 'p pause/resume', 'r rerun', '/ filter']) expect(f).toContain(k)
    await m.press(KEYS.tab)
    await m.waitFor('AGENT')
    await m.press('?')
    f = await m.waitFor('Keys')
    for (const k of ['Tab / Shift+Tab', 'Enter', 'status:failed', 'pause the task', 'rerun the task', 'import Migration Manager', 'export the reports']) expect(f).toContain(k)
    await m.press(KEYS.escape)
    await m.waitFor('AGENT')
    expect(m.quits).toBe(0)
    await m.press('q')
    expect(m.quits).toBe(1)
  })

  it('q in a form is text, not quit; Esc backs out to the view it came from', async () => {
    const fleet = new DemoFleet({ agents: 3 })
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.press('a')
    await m.waitFor('Add a task')
    await m.type('/srv/q')
    await m.waitFor('› Source      /srv/q')
    expect(m.quits).toBe(0)
    await m.press(KEYS.escape)
    await m.waitFor('No tasks yet')
    await m.press('e')
    await m.waitFor('Export the reports')
    await m.press(KEYS.escape)
    await m.waitFor('No tasks yet')
    await m.press('i')
    await m.waitFor('Import tasks')
    await m.press(KEYS.escape)
    await m.waitFor('No tasks yet')
  })

  it('keys that arrive in one burst reach the view the first of them opened, none lost', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 30 })
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.waitFor('Tasks 30')
    await m.burst('/', 's', 'h', 'a', 'r', 'e', '-', '0', '0', '0', '1', '\r', 'j')
    let f = await m.waitFor('filter "share-0001"')
    expect(f).toContain('Tasks 10 of 30')
    expect(f).toContain('sort status') // the s went into the filter, not to the sort key
    await m.burst('a', 'x', 'y', 'z', '\u007F', '\u007F', 'q')
    f = await m.waitFor(/› Source\s+xq/)
    // Several keys in ONE read (as tmux send-keys or a fast typist delivers them): each still counts.
    await m.press(KEYS.escape)
    await m.waitFor('Tasks 10 of 30')
    await m.type('jj\r')
    f = await m.waitFor('Item summary')
    expect(f).toMatch(/^share-0001\d\s+\S+\s+round 0/m)
    await m.press(KEYS.escape)
    f = await m.waitFor('Tasks 10 of 30')
    // The first burst's j moved to row 2, these two j to row 4.
    expect(f.split('\n').find((l) => l.startsWith('▶ '))).toBe(f.split('\n').filter((l) => /^[▶ ] share-/.test(l))[3])
    expect(m.quits).toBe(0)
  })

  it('every view fits 80×24: no line wider than 80 columns, no more than 24 lines', async () => {
    const fleet = new DemoFleet({ agents: 60, tasks: 500 })
    fleet.update((s) => ({
      agents: s.agents.map((a) => ({ ...a, name: `${a.name}-with-a-rather-long-agent-name`, group: 'Group-with-a-long-name' })),
      tasks: s.tasks.map((t, i) => (i === 0 ? { ...t, name: 'x'.repeat(200), source: `\\\\fs01\\${'deep\\'.repeat(60)}`, failureReason: 'y'.repeat(300) } : t)),
    }))
    fleet.step(1)
    m = await mount(fleet, fleet, { columns: 80, rows: 24 })
    const check = (f: string): void => {
      expect(overwide(f, 80)).toEqual([])
      expect(f.split('\n').length).toBeLessThanOrEqual(24)
    }
    check(await m.waitFor('AGENT'))
    // Each key once the screen shows the previous one's effect, as a person works.
    const step = async (keys: string[], want: string): Promise<void> => {
      await m!.press(...keys)
      check(await m!.waitFor(want))
    }
    await step([KEYS.tab], 'sort status')
    await step(['s'], 'sort name')
    await step([KEYS.enter], 'Item summary')
    await step([KEYS.escape], 'sort name')
    await step(['/'], 'text or status:failed')
    await m.type('x'.repeat(120))
    check(await m.waitFor('Tasks 1 of 500'))
    await step([KEYS.escape], 'Tasks 500 ·')
    await step(['a'], 'Add a task')
    await step([KEYS.enter], 'Fix the fields in red')
    await step([KEYS.escape], 'Tasks 500 ·')
    await step(['i'], 'Import tasks')
    await step([KEYS.escape], 'Tasks 500 ·')
    await step(['e'], 'Export the reports')
    await step([KEYS.escape], 'Tasks 500 ·')
    await step(['/'], 'text or status:failed')
    await m.type('status:paused')
    await step([KEYS.enter], 'filter "status:paused"')
    await step(['E'], 'Edit ')
    await step([KEYS.escape], 'Tasks ')
    await step(['?'], 'Keys')
    await step([KEYS.escape, KEYS.tab], 'AGENT')
    await step(['s'], 'Override ')
    await step([KEYS.escape], 'AGENT')
    await step(['F'], 'Forget agent')
    await step(['n'], 'tasks of agent')
  })

  it('redraws for data changes at most ~4 times a second, while a key press shows at once', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 30 })
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.waitFor('Tasks 30')
    const before = m.frames.length
    const start = Date.now()
    // 100 data changes over ~1 s.
    for (let i = 0; i < 100; i++) {
      fleet.update((s) => ({ at: new Date(Date.parse(s.at) + 1000).toISOString() }))
      await sleep(10)
    }
    const elapsed = Date.now() - start
    await sleep(DATA_REDRAW_MS + 50)
    const redraws = m.frames.length - before
    // One redraw per interval, plus the leading one and the trailing one.
    expect(redraws).toBeGreaterThan(0)
    expect(redraws).toBeLessThanOrEqual(Math.ceil(elapsed / DATA_REDRAW_MS) + 2)
    // The last change is shown: the header carries the snapshot's time (08:00:00 + 100 s).
    expect(m.frame().split('\n')[0]).toContain('08:01:40 UTC')
    m.unmount()
    // A key press is not held back by the throttle: with a data change waiting out its interval (2 s
    // here, so a loaded machine cannot blur it), the cursor moves in a frame that still shows the
    // older data.
    const slow = new DemoFleet({ agents: 3, tasks: 30 })
    m = await mount(slow, slow, { initialView: 'tasks', redrawMs: 2000 })
    await m.waitFor('Tasks 30')
    await sleep(2100) // past the interval: the next change passes at once
    slow.update(() => ({ at: '2024-05-01T09:00:00.000Z' }))
    await m.waitFor('09:00:00 UTC')
    slow.update(() => ({ at: '2024-05-01T09:30:00.000Z' })) // held for up to 2 s
    const rowLine = (f: string, k: number): string => f.split('\n')[3 + k] ?? ''
    expect(rowLine(m.frame(), 0).startsWith('▶ ')).toBe(true)
    await m.press('j')
    const moved = await m.waitFor((x) => rowLine(x, 1).startsWith('▶ '), 1500)
    expect(moved).toContain('09:00:00 UTC')
    await m.waitFor('09:30:00 UTC', 3000)
  })

  it('the throttled store passes the first change at once and folds a burst into one trailing update', async () => {
    const fleet = new DemoFleet({ agents: 1 })
    const store = createThrottledStore(fleet, 100)
    let heard = 0
    const off = store.subscribe(() => heard++)
    fleet.update(() => ({ at: '2024-05-01T09:00:00.000Z' }))
    expect(heard).toBe(1)
    expect(store.getSnapshot().at).toBe('2024-05-01T09:00:00.000Z')
    for (let i = 1; i <= 20; i++) fleet.update(() => ({ at: `2024-05-01T09:00:${String(i).padStart(2, '0')}.000Z` }))
    expect(heard).toBe(1)
    await sleep(150)
    expect(heard).toBe(2)
    expect(store.getSnapshot().at).toBe('2024-05-01T09:00:20.000Z')
    // flush() takes the latest at once (after the admin's own action).
    fleet.update(() => ({ at: '2024-05-01T10:00:00.000Z' }))
    store.flush()
    expect(store.getSnapshot().at).toBe('2024-05-01T10:00:00.000Z')
    off()
    fleet.update(() => ({ at: '2024-05-01T11:00:00.000Z' }))
    await sleep(150)
    expect(store.getSnapshot().at).toBe('2024-05-01T10:00:00.000Z')
  })
})

describe('archived tasks', () => {
  it('are not in the fleet view (task archive) unless the filter line says archived; then only they are', async () => {
    const fleet = new DemoFleet({ agents: 1, tasks: 3 })
    const names = fleet.getSnapshot().tasks.map((t) => t.name)
    fleet.update((s) => ({ tasks: s.tasks.map((t, i) => (i === 1 ? { ...t, archived: true } : t)) }))
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    let f = await m.waitFor(names[0]!)
    expect(f).toContain(names[2]!)
    expect(f).not.toContain(names[1]!)
    expect(f).toContain('Tasks 2 ·')
    await m.press('/')
    await m.type('archived')
    await m.press(KEYS.enter)
    f = await m.waitFor('filter "archived"')
    expect(f).toContain(`▶ ${names[1]!}`)
    expect(f).not.toContain(names[0]!)
    expect(f).not.toContain(names[2]!)
  })
})

describe('renderFleetApp (what the CLI calls)', () => {
  it('draws on the alternate screen, and q restores the screen, calls onQuit and ends the instance', async () => {
    const { EventEmitter } = await import('node:events')
    const { renderFleetApp } = await import('./render.tsx')
    const out: string[] = []
    const stdout = Object.assign(new EventEmitter(), { columns: 80, rows: 24, isTTY: false, write: (s: string) => (out.push(s), true) })
    const stdin = Object.assign(new EventEmitter(), {
      isTTY: true,
      data: null as string | null,
      setEncoding() {},
      setRawMode() {},
      resume() {},
      pause() {},
      ref() {},
      unref() {},
      read() {
        const d = this.data
        this.data = null
        return d
      },
    })
    const fleet = new DemoFleet({ agents: 2, tasks: 3 })
    let quit = 0
    const inst = renderFleetApp(fleet, fleet, { stdout: stdout as never, stdin: stdin as never, onQuit: () => quit++, altScreen: true, patchConsole: false })
    expect(out[0]).toBe('\u001B[?1049h')
    await sleep(30)
    // (with CI set, ink writes only the last frame, at exit: the content is checked after quitting)
    stdin.data = 'q'
    stdin.emit('readable')
    await Promise.race([inst.waitUntilExit(), sleep(2000).then(() => Promise.reject(new Error('did not exit')))])
    await sleep(5)
    expect(out.join('')).toContain('vm-02')
    expect(quit).toBe(1)
    expect(out.at(-1)).toBe('\u001B[?1049l')
  })
})
