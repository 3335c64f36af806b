/**
 * Issue 16, off-peak windows, with three real agents and the real CLI from every node: a task runs
 * inside its group's window; when the window closes (here: an admin sets one that excludes today, from
 * another node) its holder stops at a file boundary — the files in flight finish, nothing new starts —
 * and `agents` and `task show` say when work resumes; when the window opens again the task resumes and
 * completes with no file copied twice and no copy begun and abandoned (each agent's copy and put logs,
 * test/support/agent-test-hooks.ts).
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { addTask, listTasks } from '../leases/lease-harness.ts'

let fleet: Fleet
let agents: AgentProc[]

const FOLDERS = 12
const PER_FOLDER = 2
const FILES = FOLDERS * PER_FOLDER
// one file (or batch) at a time per agent, each file paused 300 ms: the task takes seconds, not milliseconds
const SLOW = { MMESH_TEST_FILE_DELAY_MS: '300', MMESH_AGENT_FILE_CONCURRENCY: '1', MMESH_CHECKPOINT_MS: '500' }

beforeAll(async () => {
  fleet = await createFleet()
  const a = await fleet.start('wa', { env: SLOW })
  const b = await fleet.start('wb', { peers: [a], env: SLOW })
  const c = await fleet.start('wc', { peers: [a, b], env: SLOW })
  agents = [a, b, c]
}, 180_000)

afterAll(async () => {
  await fleet?.cleanup()
})

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

/** Files of the task a put committed (copy-log) or began (put-log), on every agent. */
function copyLog(taskId: string, log = 'copy-log.jsonl'): string[] {
  const out: string[] = []
  for (const a of agents) {
    const file = path.join(a.dir, log)
    if (!fs.existsSync(file)) continue
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue
      const e = JSON.parse(line) as { taskId: string; rel: string }
      if (e.taskId === taskId) out.push(e.rel)
    }
  }
  return out
}

describe('work windows', () => {
  it('a closing window pauses at a file boundary, the next one resumes with no file copied twice', async () => {
    const [a, b, c] = agents as [AgentProc, AgentProc, AgentProc]
    // a window open now (every day) set from one node, seen by all
    const open = await fleet.run(['group', 'set', 'Default', '--window', 'Mon-Sun', '--tz', 'UTC'], b)
    expect(open.exitCode, open.stderr).toBe(0)
    expect(open.stdout.trim()).toBe('Default: works Mon-Sun (UTC); max no limit')

    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const share = path.join(src, 'share')
    for (let f = 0; f < FOLDERS; f++) {
      fs.mkdirSync(path.join(share, `d${String(f).padStart(2, '0')}`), { recursive: true })
      for (let i = 0; i < PER_FOLDER; i++) fs.writeFileSync(path.join(share, `d${String(f).padStart(2, '0')}`, `f${i}.txt`), `folder ${f} file ${i}\n`)
    }
    const id = await addTask(fleet, a, share, dst)
    await fleet.waitFor(() => copyLog(id).length >= 4, { timeoutMs: 60_000, message: 'a few files copied' })

    // close it: a window of the day after tomorrow only (UTC), set from another node
    const now = new Date()
    const shut = DAYS[(now.getUTCDay() + 2) % 7]!
    const opensAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 2)).toISOString()
    const close = await fleet.run(['group', 'set', 'Default', '--window', shut], c)
    expect(close.exitCode, close.stderr).toBe(0)

    // the holder stops at a file boundary and lets go; nobody else takes it
    let last = ''
    const paused = await fleet.waitFor(async () => {
      const t = (await listTasks(fleet, c)).find((x) => x.id === id)!
      last = JSON.stringify({ status: t.status, agent: t.agent, waitingReason: t.waitingReason, copied: copyLog(id).length })
      return t.status === 'queued' && t.waitingReason?.includes('work window') ? t : null
    }, { timeoutMs: 30_000, message: 'the task to stop for the window' }).catch((err: Error) => {
      throw new Error(`${err.message}; last seen ${last}`)
    })
    expect(paused.waitingReason).toContain(`outside group Default's work window (opens ${opensAt})`)
    const copiedWhenPaused = copyLog(id).length
    expect(copiedWhenPaused).toBeLessThan(FILES)
    // no agent starts a file while the window is shut (a few heartbeats and scheduler passes)
    await new Promise((r) => setTimeout(r, 3000))
    expect(copyLog(id).length).toBe(copiedWhenPaused)
    const stillQueued = (await listTasks(fleet, a)).find((x) => x.id === id)!
    expect(stillQueued.status).toBe('queued')

    // every node says when each agent may work next
    for (const node of agents) {
      const r = await fleet.run(['agents', '--json'], node)
      const rows = JSON.parse(r.stdout) as { name: string; window: { open: boolean; spec: string; tz: string } | null; nextWork: string | null }[]
      expect(rows.map((x) => [x.name, x.window?.open, x.window?.spec, x.window?.tz, x.nextWork])).toEqual(['wa', 'wb', 'wc'].map((n) => [n, false, shut, 'UTC', opensAt]))
      const table = await fleet.run(['agents'], node)
      expect(table.stdout).toContain(`from ${opensAt}`)
    }

    // the window opens again: the task resumes and completes
    const reopen = await fleet.run(['group', 'set', 'Default', '--window', ''], a)
    expect(reopen.exitCode, reopen.stderr).toBe(0)
    const done = await fleet.waitFor(async () => (await listTasks(fleet, b)).find((x) => x.id === id && x.status === 'completed'), { timeoutMs: 90_000, message: 'the task to complete' })
    expect(done.counts.failed).toBe(0)
    expect(done.counts.migrated + done.counts.unchanged).toBe(FILES + FOLDERS)

    const copied = copyLog(id)
    expect(copied.length).toBe(FILES)
    expect(new Set(copied).size).toBe(FILES)
    // a file boundary: every copy begun was finished, none begun twice (an abort mid-copy would show a
    // file begun before the pause and begun again after it)
    expect(copyLog(id, 'put-log.jsonl').sort()).toEqual([...copied].sort())
    for (let f = 0; f < FOLDERS; f++) for (let i = 0; i < PER_FOLDER; i++) {
      const d = `d${String(f).padStart(2, '0')}`
      expect(fs.readFileSync(path.join(dst, d, `f${i}.txt`), 'utf8')).toBe(`folder ${f} file ${i}\n`)
    }
    const rows = JSON.parse((await fleet.run(['agents', '--json'], c)).stdout) as { window: unknown; nextWork: string | null }[]
    expect(rows.every((r) => r.window === null && r.nextWork === null)).toBe(true)
  }, 240_000)
})
