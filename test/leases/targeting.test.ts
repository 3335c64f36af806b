/**
 * Issue 3: agent groups, disabled agents, `--map` and tasks nobody can run; and bulk import through the
 * real CLI (5,000 rows; a bad row in the middle adds nothing and is named).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { addTask, listTasks, makeShare } from './lease-harness.ts'

let fleet: Fleet
let def: AgentProc
let eu: AgentProc
let mapped: AgentProc
let mountDir: string

beforeAll(async () => {
  fleet = await createFleet()
  mountDir = fleet.tempDir('mnt-fs01')
  def = await fleet.start('def1', { args: ['--capacity', '3'] })
  eu = await fleet.start('eu1', { peers: [def], args: ['--group', 'eu', '--capacity', '3'] })
  mapped = await fleet.start('map1', { peers: [def], args: ['--map', `\\\\fs01\\dept=${mountDir}`, '--map', `\\\\fs77=${fleet.tempDir('mnt-fs77')}`] })
  await waitFor(async () => (await fleet.call<{ state: string }[]>(def, 'agents.list')).filter((a) => a.state === 'online').length === 3, {
    timeoutMs: 30_000,
    message: 'three agents online',
  })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

async function finishedOn(id: string): Promise<string> {
  return waitFor(async () => {
    const t = (await listTasks(fleet, def)).find((x) => x.id === id)
    return t?.status === 'completed' ? t.agent! : null
  }, { timeoutMs: 60_000, message: `task ${id} completed` })
}

describe('which agent runs what', () => {
  it('runs a task of group eu only on the agent of group eu', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const ids = []
    for (let i = 0; i < 4; i++) ids.push(await addTask(fleet, def, makeShare(src, `eu${i}`, 3), dst, ['--group', 'eu', '--folder', `eu${i}`]))
    for (const id of ids) expect(await finishedOn(id)).toBe(eu.peerId)
  }, 120_000)

  it('runs a UNC task only where a --map covers it; one nobody may read is refused, and one only an offline agent may read waits with its reason', async () => {
    makeShare(mountDir, 'finance', 4)
    const dst = fleet.tempDir('dst')
    const r = await fleet.run(['task', 'add', '--source', '\\\\fs01\\dept\\finance', '--dest', `file://${dst}`], def)
    expect(r.exitCode).toBe(0)
    expect(await finishedOn(r.stdout.trim())).toBe(mapped.peerId)
    expect(fs.readdirSync(path.join(dst, 'sub')).length).toBe(2)

    // Every agent of the group is online and none may read it: refused, nothing added.
    const lost = await fleet.run(['task', 'add', '--source', '\\\\fs99\\nowhere', '--dest', `file://${dst}`, '--folder', 'lost'], def)
    expect(lost.exitCode).toBe(1)
    expect(lost.stderr.trim().split('\n')).toHaveLength(1)
    expect(lost.stderr).toMatch(/no agent of group Default may read \\\\fs99\\nowhere.*--source-root \(or --map\)/)

    // Only an agent that is offline now may read it: added with a warning, and it waits with its reason.
    await fleet.kill(mapped)
    await waitFor(async () => (await fleet.call<{ name: string; state: string }[]>(def, 'agents.list')).find((a) => a.name === 'map1')?.state === 'offline', { timeoutMs: 30_000, message: 'map1 offline' })
    makeShare(mountDir, 'payroll', 2)
    const later = await fleet.run(['task', 'add', '--source', '\\\\fs01\\dept\\payroll', '--dest', `file://${dst}`, '--folder', 'later'], def)
    expect(later.exitCode, later.stderr).toBe(0)
    expect(later.stderr).toMatch(/only agents offline now \(map1\) may run .*waits until one is back/)
    const id = later.stdout.trim()
    const shown = await waitFor(async () => {
      const s = await fleet.run(['task', 'show', id, '--json'], eu)
      const v = JSON.parse(s.stdout) as { status: string; waitingReason: string | null }
      return v.waitingReason ? v : null
    }, { timeoutMs: 20_000, message: 'a waiting reason' })
    expect(shown.status).toBe('queued')
    expect(shown.waitingReason).toMatch(/no online agent can run it/)
    expect(shown.waitingReason).toMatch(/--map/)
    await fleet.restart(mapped)
    expect(await finishedOn(id)).toBe(mapped.peerId)
  }, 180_000)

  it('gives a disabled agent no work', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    expect((await fleet.run(['agent', 'disable', 'eu1'], def)).exitCode).toBe(0)
    await waitFor(async () => (await fleet.call<{ name: string; state: string }[]>(eu, 'agents.list')).find((a) => a.name === 'eu1')?.state === 'disabled', {
      timeoutMs: 10_000,
      message: 'eu1 disabled',
    })
    const id = await addTask(fleet, def, makeShare(src, 'eux', 3), dst, ['--group', 'eu'])
    const shown = await waitFor(async () => {
      const v = JSON.parse((await fleet.run(['task', 'show', id, '--json'], def)).stdout) as { status: string; waitingReason: string | null }
      return v.waitingReason ? v : null
    }, { timeoutMs: 20_000, message: 'a waiting reason' })
    expect(shown.status).toBe('queued')
    expect(shown.waitingReason).toMatch(/disabled/)
    expect((await fleet.run(['agent', 'enable', 'eu1'], def)).exitCode).toBe(0)
    expect(await finishedOn(id)).toBe(eu.peerId)
  }, 120_000)
})

describe('bulk import through the CLI', () => {
  it('adds 5,000 rows, and a file with one bad row in the middle adds nothing and names the row', async () => {
    const dir = fleet.tempDir('csv')
    const rows = Array.from({ length: 5000 }, (_, i) => `\\\\fs77\\share${i},,,https://contoso.sharepoint.com/sites/s${i % 50},Documents,f${i}`)
    const good = path.join(dir, 'good.csv')
    fs.writeFileSync(good, `FileSharePath,,,SharePointSite,DocLibrary,DocSubFolder\n${rows.join('\n')}\n`)
    const before = (await listTasks(fleet, def)).length

    const badRows = [...rows]
    badRows[2500] = '\\\\fs77\\broken,,,not a url,Documents,x'
    const bad = path.join(dir, 'bad.csv')
    fs.writeFileSync(bad, `FileSharePath,,,SharePointSite,DocLibrary,DocSubFolder\n${badRows.join('\n')}\n`)
    const refused = await fleet.run(['task', 'import', bad], def)
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(/bad\.csv:2502: /)
    expect((await listTasks(fleet, def)).length).toBe(before)

    const imported = await fleet.run(['task', 'import', good], def, { timeoutMs: 120_000 })
    expect(imported.exitCode).toBe(0)
    expect(imported.stdout.trim().split('\n')).toHaveLength(5000)
    await waitFor(async () => (await listTasks(fleet, eu)).length === before + 5000, { timeoutMs: 60_000, message: 'the import replicated' })
  }, 180_000)
})
