import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm, writeFile, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { DemoFleet } from '../test/support/demo-fleet.ts'
import { KEYS, mount, overwide, type Mounted } from './test-kit.tsx'
import type { FleetSnapshot, FleetSource } from './model.ts'

let m: Mounted | undefined
let dir = ''
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mmesh-tui-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
afterEach(() => m?.unmount())

const flat = (f: string): string => f.replace(/\s+/g, ' ')

describe('Add task form', () => {
  it('validates as you type with the task add rules and shows each field’s message', async () => {
    const fleet = new DemoFleet({ agents: 3 })
    m = await mount(fleet, fleet)
    await m.press('a')
    let f = await m.waitFor('Add a task')
    for (const label of ['Source', 'Destination', 'Library', 'Folder', 'Name', 'Group', 'Settings']) expect(f).toContain(label)
    expect(f).toContain('Fill in source and destination')
    await m.type('relative\\path')
    f = await m.waitFor((x) => flat(x).includes('source: "relative\\\\path" is not a UNC path or an absolute path; write \\\\server\\share\\folder'))
    await m.press(KEYS.backspace.repeat(1))
    for (let i = 0; i < 'relative\\pat'.length; i++) await m.press(KEYS.backspace)
    await m.type('\\\\fs01\\hr\\payroll')
    f = await m.waitFor((x) => !x.includes('source:'))
    await m.press(KEYS.tab)
    await m.waitFor('› Destination')
    await m.type('contoso.sharepoint.com')
    f = await m.waitFor('dest: "contoso.sharepoint.com" is not a URL')
    await m.press(KEYS.escape)
    await m.waitFor('⏎ tasks of agent') // back to the fleet, nothing added
    expect(fleet.getSnapshot().tasks).toHaveLength(0)
    expect(fleet.calls).toEqual([])
  })

  it('refuses to submit with errors, and on a good submit calls addTask and shows the new task at once', async () => {
    const fleet = new DemoFleet({ agents: 3 })
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.press('a')
    await m.waitFor('Add a task')
    await m.press(KEYS.enter) // nothing typed: every required field speaks up
    let f = await m.waitFor('Fix the fields in red')
    expect(f).toContain('source: missing')
    expect(f).toContain('dest: missing')
    expect(fleet.calls).toEqual([])
    // Like a person, each field is typed into once the screen shows it focused.
    const to = async (label: string, ...keys: string[]): Promise<void> => {
      await m!.press(...keys)
      await m!.waitFor(`› ${label}`)
    }
    await m.type('\\\\fs01\\hr\\payroll')
    await to('Destination', KEYS.down)
    await m.type('https://contoso.sharepoint.com/sites/hr')
    await to('Folder', KEYS.down, KEYS.down)
    await m.type('2024')
    await to('Name', KEYS.down)
    await m.type('hr-payroll')
    await to('Settings', KEYS.down, KEYS.down)
    await m.type('ScanOnly=maybe')
    f = await m.waitFor('ScanOnly: "maybe" is not true or false')
    await to('Group', KEYS.up)
    await m.type('HR')
    await to('Settings', KEYS.down)
    for (let i = 0; i < 'maybe'.length; i++) await m.press(KEYS.backspace)
    await m.type('true skip-ext=tmp')
    f = await m.waitFor('Ready: Enter adds the task')
    expect(overwide(f, 80)).toEqual([])
    await m.press(KEYS.enter)
    f = await m.waitFor('Item summary')
    expect(f).toMatch(/hr-payroll\s+queued\s+round 0/)
    expect(f).toContain('Destination  https://contoso.sharepoint.com/sites/hr/Documents/2024')
    expect(f).toContain('*ScanOnly=true')
    expect(f).toContain('*SkipFilesWithExtensions=tmp')
    expect(f).toMatch(/Added hr-payroll \(n00001\)/)
    expect(fleet.calls).toEqual([
      {
        action: 'addTask',
        arg: { source: '\\\\fs01\\hr\\payroll', dest: 'https://contoso.sharepoint.com/sites/hr', folder: '2024', name: 'hr-payroll', group: 'HR', settings: { ScanOnly: 'true', 'skip-ext': 'tmp' } },
      },
    ])
    await m.press(KEYS.escape)
    f = await m.waitFor('sort status')
    expect(f).toMatch(/▶ hr-payroll\s+queued/)
  })
})

describe('Add task before the ledger shows it', () => {
  it('opens the new task at once and fills it in when the snapshot brings it', async () => {
    const fleet = new DemoFleet({ agents: 3 })
    // A source that lags: the node answers add with the id before its next snapshot arrives.
    let frozen: FleetSnapshot | null = null
    const source: FleetSource = { getSnapshot: () => frozen ?? fleet.getSnapshot(), subscribe: fleet.subscribe }
    m = await mount(source, fleet, { initialView: 'tasks' })
    await m.press('a')
    await m.type('/srv/data')
    await m.press(KEYS.down)
    await m.waitFor('› Destination')
    await m.type('file:///tmp/dest')
    await m.waitFor('Ready: Enter adds the task')
    frozen = fleet.getSnapshot()
    await m.press(KEYS.enter)
    let f = await m.waitFor('Waiting for the ledger to show it')
    expect(f).toContain('/srv/data  queued  id n00001')
    frozen = null
    fleet.update(() => ({}))
    f = await m.waitFor('Item summary')
    expect(f).toMatch(/data\s+queued\s+round 0/)
  })
})

describe('Bulk import', () => {
  it('previews the rows of a good CSV, adds them only on Enter, then lists them', async () => {
    const file = path.join(dir, 'good.csv')
    await writeFile(
      file,
      [
        'Source,SourceDocLib,SourceSubFolder,TargetWeb,TargetDocLib,TargetSubFolder',
        '\\\\fs01\\sales,,,https://contoso.sharepoint.com/sites/sales,Documents,Archive',
        '\\\\fs01\\ops,,,https://contoso.sharepoint.com/sites/ops,Documents,',
      ].join('\r\n'),
    )
    const fleet = new DemoFleet({ agents: 3 })
    m = await mount(fleet, fleet, { initialView: 'tasks', columns: 120 })
    await m.press('i')
    await m.waitFor('Import tasks')
    await m.type(file)
    await m.press(KEYS.enter)
    let f = await m.waitFor('2 tasks to add')
    expect(f).toContain('\\\\fs01\\sales → https://contoso.sharepoint.com/sites/sales/Documents/Archive')
    expect(f).toContain('\\\\fs01\\ops → https://contoso.sharepoint.com/sites/ops/Documents')
    expect(fleet.getSnapshot().tasks).toHaveLength(0) // a preview adds nothing
    await m.press(KEYS.enter)
    f = await m.waitFor('Imported 2 tasks')
    expect(f).toContain('Tasks 2 ·')
    expect(fleet.getSnapshot().tasks.map((t) => t.source).sort()).toEqual(['\\\\fs01\\ops', '\\\\fs01\\sales'])
  })

  it('lists every bad row with its FILE:ROW reason and adds nothing', async () => {
    const file = path.join(dir, 'bad.csv')
    await writeFile(
      file,
      [
        '\\\\fs01\\sales,,,https://contoso.sharepoint.com/sites/sales,Documents,',
        'relative\\path,,,https://contoso.sharepoint.com/sites/a,Documents,',
        '\\\\fs01\\ok,,,https://contoso.sharepoint.com/sites/ok,Documents,',
        '\\\\fs01\\x,,,not a url,Documents,',
      ].join('\n'),
    )
    const fleet = new DemoFleet({ agents: 3 })
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.press('i')
    await m.type(file)
    await m.press(KEYS.enter)
    const f = await m.waitFor(/\d+ bad records?: nothing will be added/)
    const errors = f.split('\n').filter((l) => l.startsWith(`${file}:`))
    expect(errors.some((l) => l.startsWith(`${file}:2:`))).toBe(true)
    expect(errors.some((l) => l.startsWith(`${file}:4:`))).toBe(true)
    expect(errors.some((l) => l.startsWith(`${file}:1:`) || l.startsWith(`${file}:3:`))).toBe(false)
    await m.press(KEYS.enter) // Enter on a bad preview adds nothing
    await m.press(KEYS.escape)
    await m.waitFor((x) => !x.includes('bad record'))
    await m.press(KEYS.escape)
    await m.waitFor('No tasks yet')
    expect(fleet.getSnapshot().tasks).toHaveLength(0)
    expect(fleet.calls.map((c) => c.action)).toEqual(['previewImport'])
  })

  it('says so when the file cannot be read', async () => {
    const fleet = new DemoFleet({ agents: 3 })
    m = await mount(fleet, fleet)
    await m.press('i')
    await m.type(path.join(dir, 'missing.csv'))
    await m.press(KEYS.enter)
    await m.waitFor((f) => flat(f).includes(`could not read ${path.join(dir, 'missing.csv')}: ENOENT`))
  })
})

describe('Export', () => {
  it('writes the reports to the folder typed and says where', async () => {
    const fleet = new DemoFleet({ agents: 3, tasks: 5 })
    m = await mount(fleet, fleet)
    await m.press('e')
    await m.waitFor('Export the reports')
    const out = path.join(dir, 'reports')
    await m.type(out)
    await m.press(KEYS.enter)
    const f = await m.waitFor(`Wrote 2 report files to ${out}`)
    expect(f).toContain(path.join(out, 'Aggregate Summary Report.csv'))
    expect((await stat(path.join(out, 'ledger.json'))).isFile()).toBe(true)
    const csv = await readFile(path.join(out, 'Aggregate Summary Report.csv'), 'utf8')
    expect(csv.split('\n').filter((l) => l.trim()).length).toBe(6)
    await m.press(KEYS.escape)
    const back = await m.waitFor('⏎ tasks of agent')
    expect(flat(back)).toContain(`Wrote 2 report files to ${out}`) // still said in the status line
  })

  it('shows the reason when writing fails', async () => {
    const fleet = new DemoFleet({ agents: 3 })
    const blocker = path.join(dir, 'a-file')
    await writeFile(blocker, 'x')
    m = await mount(fleet, fleet)
    await m.press('e')
    await m.type(path.join(blocker, 'sub'))
    await m.press(KEYS.enter)
    await m.waitFor((f) => flat(f).includes('could not write the reports:'))
  })
})
