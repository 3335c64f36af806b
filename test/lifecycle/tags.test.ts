/**
 * Issue 16, tags, with real agents over the CLI: `task add --tag`, `Tags` in a bulk JSON import, `task list
 * --tag`, Migration Manager's tags CSV exported, edited and imported (all or nothing), `task wait --tag`,
 * and the Tags column of the summary report.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { makeShare } from '../leases/lease-harness.ts'

let fleet: Fleet
let a: AgentProc
let b: AgentProc

beforeAll(async () => {
  fleet = await createFleet()
  a = await fleet.start('ta')
  b = await fleet.start('tb', { peers: [a] })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

const listed = async (agent: AgentProc, args: string[]) => {
  const r = await fleet.run(['task', 'list', '--json', ...args], agent)
  expect(r.exitCode, r.stderr).toBe(0)
  return (JSON.parse(r.stdout) as { id: string; tags: string[] }[])
}

describe('tags', () => {
  it('from add and import, filtered, exported, edited, imported back, waited on and reported', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const add = await fleet.run(['task', 'add', '--source', makeShare(src, 'hr', 2), '--dest', `file://${dst}`, '--folder', 'hr', '--tag', 'Wave 1', '--tag', 'HR'], a)
    expect(add.exitCode, add.stderr).toBe(0)
    const hr = add.stdout.trim()
    const json = path.join(src, 'bulk.json')
    fs.writeFileSync(json, JSON.stringify({ Tasks: [
      { SourcePath: makeShare(src, 'fin', 2), TargetPath: `file://${dst}`, TargetList: 'Documents', TargetListRelativePath: 'fin', Tags: 'Wave 1;Finance' },
      { SourcePath: makeShare(src, 'ops', 2), TargetPath: `file://${dst}`, TargetList: 'Documents', TargetListRelativePath: 'ops' },
    ] }))
    const imp = await fleet.run(['task', 'import', json], b)
    expect(imp.exitCode, imp.stderr).toBe(0)
    const [fin, ops] = imp.stdout.trim().split('\n') as [string, string]
    await fleet.converged([a, b], { timeoutMs: 30_000 })

    expect((await listed(b, ['--tag', 'Wave 1'])).map((t) => t.id).sort()).toEqual([hr, fin].sort())
    expect((await listed(b, ['--tag', 'wave 1'])).map((t) => t.id)).toEqual([]) // exact, case too
    expect((await listed(a, ['--tag', 'Wave 1', '--tag', 'HR'])).map((t) => t.id)).toEqual([hr])
    expect((await listed(a, ['--search', ops]))[0]!.tags).toEqual([])

    // wait --tag: every task tagged Wave 1 as the wait starts
    const waited = await fleet.run(['task', 'wait', '--tag', 'Wave 1', '--timeout', '90'], a)
    expect(waited.exitCode, waited.stderr).toBe(0)
    expect(waited.stdout.trim().split('\n').sort()).toEqual([`${hr} completed`, `${fin} completed`].sort())

    // export, edit the Tags column, import back
    const csv = path.join(src, 'tags.csv')
    const exp = await fleet.run(['task', 'tags', 'export', csv], b)
    expect(exp.exitCode, exp.stderr).toBe(0)
    const text = fs.readFileSync(csv, 'utf8')
    expect(text.startsWith('\uFEFFTask ID,Source Name,Source Path,Tags\r\n')).toBe(true)
    expect(text).toContain(`${hr},hr,`)
    expect(text).toMatch(new RegExp(`${fin},fin,[^\\r]*,Wave 1;Finance\\r\\n`))
    const edited = text.replace(/(,Wave 1;Finance)\r\n/, ',Wave 2;Finance\r\n').replace(new RegExp(`(${ops},ops,[^\\r]*,)\\r\\n`), '$1Wave 2\r\n')
    fs.writeFileSync(csv, edited)
    const back = await fleet.run(['task', 'tags', 'import', csv], a)
    expect(back.exitCode, back.stderr).toBe(0)
    expect(back.stdout).toMatch(/^2 tasks' tags updated, \d+ unchanged/)
    expect((await listed(a, ['--tag', 'Wave 2'])).map((t) => t.id).sort()).toEqual([fin, ops].sort())
    expect((await listed(a, ['--tag', 'Wave 1'])).map((t) => t.id)).toEqual([hr])

    // all or nothing: an unknown id changes no task
    fs.writeFileSync(csv, `Task ID,Source Name,Source Path,Tags\n${hr},hr,x,Wave 9\nno-such-task,x,y,Wave 9\n`)
    const bad = await fleet.run(['task', 'tags', 'import', csv], b)
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toMatch(/tags\.csv:3: no task no-such-task/)
    expect((await listed(b, ['--tag', 'Wave 9']))).toEqual([])

    // the summary report carries them
    const out = fleet.tempDir('report')
    expect((await fleet.run(['report', '--out', out], b)).exitCode).toBe(0)
    const summary = fs.readFileSync(path.join(out, 'Aggregate Summary Report.csv'), 'utf8')
    expect(summary.split('\r\n')[0]).toMatch(/,Agent group,Tags,Estimated time left$/)
    expect(summary).toMatch(/Wave 2;Finance/)
  }, 180_000)

  it('refuses a bad tag in one line, adding nothing', async () => {
    const src = fleet.tempDir('src')
    const before = (await listed(a, [])).length
    const r = await fleet.run(['task', 'add', '--source', makeShare(src, 'x', 1), '--dest', `file://${src}/out`, '--tag', 'ok', '--tag', 'bad\u0007bell'], a)
    expect(r.exitCode).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/tags: tag .* contains a control character/)
    expect((await listed(a, [])).length).toBe(before)
  })
})
