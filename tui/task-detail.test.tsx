import { afterEach, describe, expect, it } from 'vitest'
import { DemoFleet } from '../test/support/demo-fleet.ts'
import { KEYS, mount, overwide, type Mounted } from './test-kit.tsx'

let m: Mounted | undefined
afterEach(() => m?.unmount())

async function fleetWithOne(): Promise<{ fleet: DemoFleet; id: string }> {
  const fleet = new DemoFleet({ agents: 3, tasks: 0 })
  const { id } = await fleet.addTask({ source: '\\\\fs01\\legal', dest: 'https://contoso.sharepoint.com/sites/legal', name: 'legal', settings: { ScanOnly: 'false', 'skip-ext': 'tmp:bak' } })
  const agent = fleet.getSnapshot().agents[2]!
  fleet.patchTask(id, (t) => ({
    status: 'in-progress',
    agent: agent.id,
    startedAt: '2024-05-01T08:00:05.000Z',
    counts: { scanned: 120, toMigrate: 100, migrated: 60, unchanged: 10, skipped: 20, failed: 4 },
    bytes: { total: 4096, migrated: 2048 },
    timeline: [...t.timeline, { at: '2024-05-01T08:00:05.000Z', what: 'claimed by vm-03' }, { at: '2024-05-01T08:03:00.000Z', what: 'taken over by vm-03 from vm-01 (lease expired)' }],
    recentFailures: [
      { item: 'Contracts/2019/scan.pdf', message: 'the file is locked by another process' },
      { item: 'Old/a:b.txt', message: 'the name holds a character SharePoint refuses' },
    ],
    waitingReason: null,
  }))
  return { fleet, id }
}

describe('Task detail', () => {
  it('shows the item summary counters, settings, timeline and the latest failures', async () => {
    const { fleet } = await fleetWithOne()
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.waitFor('▶ legal')
    await m.press(KEYS.enter)
    let f = await m.waitFor('Item summary')
    expect(f).toMatch(/legal\s+in-progress\s+round 0\s+agent vm-03/)
    expect(f).toContain('Source       \\\\fs01\\legal')
    expect(f).toContain('Destination  https://contoso.sharepoint.com/sites/legal/Documents')
    expect(f).toMatch(/Scanned 120\s+To be migrated 100\s+Migrated 60\s+Unchanged 10\s+Skipped 20/)
    expect(f).toMatch(/Failed 4/)
    expect(f).toContain('*SkipFilesWithExtensions=tmp:bak')
    expect(f).toContain('*ScanOnly=false')
    expect(f).toContain('MigrateHiddenItems=true')
    expect(overwide(f, 80)).toEqual([])
    // The timeline and the failures are further down at 24 rows: scroll to them.
    await m.press('j', 'j', 'j', 'j')
    f = await m.waitFor('taken over by vm-03 from vm-01')
    expect(f).toContain('2024-05-01 08:00:00  created by vm-01')
    await m.press('j', 'j', 'j', 'j', 'j', 'j', 'j', 'j')
    f = await m.waitFor('Contracts/2019/scan.pdf: the file is locked by another process')
    expect(f).toContain('Latest failures (2 of 4')
    expect(f).toContain('Old/a:b.txt: the name holds a character SharePoint refuses')
    await m.press(KEYS.escape)
    await m.waitFor('sort status')
  })

  it('shows the failure reason of a failed task', async () => {
    const { fleet, id } = await fleetWithOne()
    fleet.patchTask(id, { status: 'failed', failureReason: 'the destination refused the credentials (401)' })
    m = await mount(fleet, fleet, { initialView: 'tasks', rows: 40 })
    await m.waitFor('▶ legal')
    await m.press(KEYS.enter)
    const f = await m.waitFor('Failure: the destination refused the credentials (401)')
    expect(f).toMatch(/legal\s+failed/)
  })

  it('shows the scan figures of a scanned task, with the readiness reason and escaped paths', async () => {
    const { fleet, id } = await fleetWithOne()
    const maxPath = 'https://contoso.sharepoint.com/sites/legal/Documents/Contracts/\x1b[2Jdeep/file.pdf'
    fleet.patchTask(id, {
      status: 'completed',
      assessment: {
        round: 0, dataSize: 3 * 2 ** 20, files: 42, folders: 7, maxPathLength: 97, maxPath, rootPermissions: null,
        lastAccessed: '2024-04-30T10:00:00.000Z', created: '2019-01-02T03:04:05.000Z', readiness: 'Errors',
        readinessReason: 'destination check failed: site https://contoso.sharepoint.com/sites/legal was not found', warnings: 0, errors: 0,
        destinationCheck: { ok: false, message: 'site https://contoso.sharepoint.com/sites/legal was not found' }, modifiedYears: { '2024': 42 },
      },
    })
    m = await mount(fleet, fleet, { initialView: 'tasks', rows: 60, columns: 160 })
    await m.waitFor('▶ legal')
    await m.press(KEYS.enter)
    const f = await m.waitFor('Scan (round 0)')
    expect(f).toMatch(/Migration readiness\s+Errors — destination check failed: site https:\/\/contoso.sharepoint.com\/sites\/legal was not found/)
    expect(f).toMatch(/Data size\s+3\.0 MB \(3145728 bytes\)/)
    expect(f).toMatch(/File count\s+42/)
    expect(f).toMatch(/Folder count\s+7/)
    expect(f).toMatch(/Max path length\s+97 of 400: https:\/\/contoso/)
    expect(f).toContain('\\x1b[2Jdeep/file.pdf')
    expect(f).not.toContain('\x1b[2J')
    expect(f).toMatch(/Root permissions\s+unknown/)
    expect(f).toMatch(/Created on\s+2019-01-02T03:04:05.000Z/)
  })

  it('p pauses and resumes, r reruns, c asks before it cancels', async () => {
    const { fleet, id } = await fleetWithOne()
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.waitFor('▶ legal')
    await m.press(KEYS.enter)
    await m.waitFor('Item summary')
    await m.press('p')
    await m.waitFor(/legal\s+paused/)
    await m.waitFor('Paused legal')
    await m.press('p')
    await m.waitFor(/legal\s+in-progress/)
    await m.press('c')
    await m.waitFor('Cancel task legal? y cancels it')
    await m.press('n')
    await m.waitFor((f) => !f.includes('Cancel task legal?'))
    expect(fleet.getSnapshot().tasks[0]!.status).toBe('in-progress')
    await m.press('c')
    await m.waitFor('Cancel task legal?')
    await m.press('y')
    await m.waitFor(/legal\s+cancelled/)
    await m.press('r')
    const f = await m.waitFor(/legal\s+queued\s+round 1/)
    expect(f).toContain('Rerun started for legal')
    expect(fleet.calls.filter((c) => c.arg === id).map((c) => c.action)).toEqual(['pause', 'resume', 'cancel', 'rerun'])
  })

  it('says why when an action is refused', async () => {
    const { fleet, id } = await fleetWithOne()
    m = await mount(fleet, fleet, { initialView: 'tasks' })
    await m.waitFor('▶ legal')
    await m.press(KEYS.enter)
    await m.waitFor('Item summary')
    await m.press('r') // rerun of a running task: the fleet refuses it
    await m.waitFor((f) => f.replace(/\s+/g, ' ').includes('could not rerun legal: task legal is in-progress; rerun applies to completed, failed, cancelled tasks'))
    expect(fleet.getSnapshot().tasks.find((t) => t.id === id)!.round).toBe(0)
  })
})
