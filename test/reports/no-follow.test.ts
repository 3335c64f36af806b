import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeReports } from '../../agent/reports/write-reports.ts'
import { AGENT_IDS, agentName, fromArray, makeItems, taskFrom } from './fixtures.ts'

const [A] = AGENT_IDS as [string]
const T0 = Date.parse('2026-01-10T09:00:00Z')
const evilName = 'x\u001b[2J\u001b]0;owned\u0007.txt'
const items = makeItems('task-esc', '/srv/esc', 'vm-alpha', [{ round: 0, status: 'Failed', count: 1, size: 1, names: [evilName] }], T0)
const tasks = [taskFrom('task-esc', 'name\u001b[31m', '/srv/esc', 'completed', A, items)]

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mmesh-nofollow-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const run = (outDir: string) => writeReports({ outDir, tasks, agentName, items: () => fromArray(items), ledgerJson: {}, now: new Date(T0) })

describe('reports written into a folder someone else can write to', () => {
  it('do not follow a symbolic link planted under a report file\'s name', async () => {
    const out = join(root, 'planted-file')
    await mkdir(out)
    const victim = join(root, 'victim.txt')
    await writeFile(victim, 'precious\n')
    await symlink(victim, join(out, 'ledger.json'))
    await expect(run(out)).rejects.toThrow(/ELOOP|symbolic link/)
    expect(await readFile(victim, 'utf8')).toBe('precious\n')
  })

  it('do not write into a task folder that is a symbolic link', async () => {
    const out = join(root, 'planted-dir')
    const elsewhere = join(root, 'elsewhere')
    await mkdir(out)
    await mkdir(elsewhere)
    await symlink(elsewhere, join(out, 'task-esc'))
    await expect(run(out)).rejects.toThrow(/symbolic link/)
    expect(await readdir(elsewhere)).toEqual([])
  })

  it('show control characters in names as visible escapes', async () => {
    const r = await run(join(root, 'plain'))
    const item = await readFile(join(r.dir, 'task-esc', 'ItemReport.csv'), 'utf8')
    const summary = await readFile(join(r.dir, 'Aggregate Summary Report.csv'), 'utf8')
    // eslint-disable-next-line no-control-regex
    expect(item + summary).not.toMatch(/[\u001b\u0007]/)
    expect(item).toContain('x\\x1b[2J\\x1b]0;owned\\x07.txt')
    expect(summary).toContain('name\\x1b[31m')
  })
})
