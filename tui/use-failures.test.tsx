import { afterEach, describe, expect, it } from 'vitest'
import { DemoFleet } from '../test/support/demo-fleet.ts'
import { KEYS, mount, type Mounted } from './test-kit.tsx'

let m: Mounted | undefined
afterEach(() => m?.unmount())

/**
 * The agent's answers as they come while a round runs: its holder writes item records in batches, so the
 * first answer may have none of the failures the live count already shows.
 */
class LateRecordsFleet extends DemoFleet {
  asked = 0
  answers: { item: string; message: string }[][] = [[], [{ item: 'collide/report.docx', message: 'SharePoint treats it as the same name as Report.docx' }]]
  recentFailures = async (): Promise<{ item: string; message: string }[]> => this.answers[Math.min(this.asked++, this.answers.length - 1)]!
}

describe('Latest failures in the task detail', () => {
  it('asks again when the round ends, also with the failed count unchanged', async () => {
    const fleet = new LateRecordsFleet({ agents: 2, tasks: 0 })
    const { id } = await fleet.addTask({ source: '\\\\fs01\\legal', dest: 'https://contoso.sharepoint.com/sites/legal', name: 'legal' })
    const counts = { scanned: 10, toMigrate: 10, migrated: 9, unchanged: 0, skipped: 0, failed: 1 }
    fleet.patchTask(id, { status: 'in-progress', agent: fleet.getSnapshot().agents[1]!.id, counts })
    m = await mount(fleet, fleet, { initialView: 'tasks', rows: 40 })
    await m.waitFor('▶ legal')
    await m.press(KEYS.enter)
    await m.waitFor('details not loaded yet')
    // the first answer (none yet) has arrived; the detail still says so
    for (const end = Date.now() + 5000; fleet.asked < 1 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10))
    expect(fleet.asked).toBe(1)
    expect(m.frame()).toContain('details not loaded yet')
    fleet.patchTask(id, { status: 'completed', counts })
    const f = await m.waitFor('collide/report.docx: SharePoint treats it as the same name as Report.docx')
    expect(f).not.toContain('details not loaded yet')
    expect(fleet.asked).toBe(2)
  })
})
