/**
 * Issue 4: kill -9 of the agent midway through a 5,000-file task: another agent finishes it, the
 * destination is complete and identical, and fewer than 5% of the files were copied twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { sha1File } from '../fixtures/source-tree.ts'
import { listTasks } from '../leases/lease-harness.ts'

let fleet: Fleet
let a: AgentProc
let b: AgentProc

beforeAll(async () => {
  fleet = await createFleet({ env: { MMESH_TEST_FILE_DELAY_MS: '15', MMESH_CHECKPOINT_MS: '1000' } })
  a = await fleet.start('k1', { args: ['--lease-ttl', '3'] })
  b = await fleet.start('k2', { peers: [a], args: ['--lease-ttl', '3'] })
  await waitFor(async () => (await fleet.call<{ state: string }[]>(a, 'agents.list')).filter((x) => x.state === 'online').length === 2, { timeoutMs: 30_000, message: '2 online' })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

function walkFiles(dir: string, base = dir, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) walkFiles(p, base, out)
    else out.push(path.relative(base, p))
  }
  return out
}

describe('a holder killed midway through 5,000 files', () => {
  it('is finished by the other agent, identical, with under 5% copied twice', async () => {
    const src = fleet.tempDir('src')
    for (let d = 0; d < 10; d++) {
      fs.mkdirSync(path.join(src, `d${d}`))
      for (let i = 0; i < 500; i++) fs.writeFileSync(path.join(src, `d${d}`, `f${i}.txt`), `folder ${d} file ${i} ${'x'.repeat(i % 200)}\n`)
    }
    const dst = fleet.tempDir('dst')
    // b is disabled until the task runs on a, so we know whom to kill
    expect((await fleet.run(['agent', 'disable', 'k2'], a)).exitCode).toBe(0)
    const add = await fleet.run(['task', 'add', '--source', src, '--dest', `file://${dst}`], a)
    expect(add.exitCode).toBe(0)
    const id = add.stdout.trim()
    await waitFor(() => fs.existsSync(dst) && walkFiles(dst).filter((f) => !path.basename(f).startsWith('.mmesh-tmp-')).length >= 1500, { timeoutMs: 60_000, intervalMs: 100, message: '1,500 files copied' })
    expect((await fleet.run(['agent', 'enable', 'k2'], a)).exitCode).toBe(0)
    await fleet.kill(a)
    const atKill = new Set(walkFiles(dst).filter((f) => !path.basename(f).startsWith('.mmesh-tmp-')))
    expect(atKill.size).toBeLessThan(5000)

    await waitFor(async () => (await listTasks(fleet, b)).find((t) => t.id === id)?.status === 'completed', { timeoutMs: 120_000, intervalMs: 500, message: 'completed on k2' })
    const task = (await listTasks(fleet, b)).find((t) => t.id === id)!
    expect(task.agent).toBe(b.peerId)
    expect(task.round).toBe(0)

    // complete and identical, no temporary leftovers
    const landed = walkFiles(dst)
    expect(landed.filter((f) => path.basename(f).startsWith('.mmesh-tmp-'))).toEqual([])
    expect(landed).toHaveLength(5000)
    for (const rel of landed) expect(await sha1File(path.join(dst, rel))).toBe(await sha1File(path.join(src, rel)))

    // copied twice: already at the destination when the holder died, and copied again by the new holder
    const out = fleet.tempDir('rep')
    expect((await fleet.run(['report', '--out', out, '--task', id], b)).exitCode).toBe(0)
    const items = parse(fs.readFileSync(path.join(out, id, 'ItemReport.csv'), 'utf8'), { columns: true, bom: true }) as Record<string, string>[]
    const copiedAgain = items.filter((r) => r.Status === 'Migrated' && r.Extension === 'txt').filter((r) => atKill.has(path.relative(src, r.Source ?? "")))
    // the new holder recognised what was there: files it left alone were all at the destination at the kill
    const unchanged = items.filter((r) => r.Status === 'Unchanged' && r.Extension === 'txt')
    expect(unchanged.length).toBeGreaterThanOrEqual(1400)
    for (const r of unchanged) expect(atKill.has(path.relative(src, r.Source ?? ""))).toBe(true)
    const ratio = copiedAgain.length / 5000
    expect(ratio).toBeLessThan(0.05)
  }, 240_000)
})
