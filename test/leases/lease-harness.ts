/**
 * Shared pieces of the lease tests: small source shares, task creation through the real CLI, and the
 * work log each test agent writes (start/stop of work per task; test/support/agent-test-hooks.ts), read
 * back to check that no two agents worked on one task at the same time.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { AgentProc, Fleet } from '../fixtures/fleet.ts'

export interface WorkEvent {
  taskId: string
  round: number
  epoch: number
  what: 'start' | 'stop'
  at: number
  agent: string
}

export interface WorkInterval {
  taskId: string
  agent: string
  epoch: number
  from: number
  to: number
}

/** A share of `files` small files under `root/name`. */
export function makeShare(root: string, name: string, files: number): string {
  const dir = path.join(root, name)
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true })
  for (let i = 0; i < files; i++) fs.writeFileSync(path.join(dir, i % 2 ? 'sub' : '', `f${i}.txt`), `${name} file ${i}\n`)
  return dir
}

export function readWorkLog(agents: AgentProc[]): WorkEvent[] {
  const out: WorkEvent[] = []
  for (const a of agents) {
    const file = path.join(a.dir, 'work-log.jsonl')
    if (!fs.existsSync(file)) continue
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) if (line.trim()) out.push(JSON.parse(line) as WorkEvent)
  }
  return out
}

/** Pairs start/stop per agent and task; an open interval (killed agent, still running) ends at `openEnd`. */
export function workIntervals(events: WorkEvent[], openEnd: number): WorkInterval[] {
  const open = new Map<string, WorkEvent>()
  const out: WorkInterval[] = []
  for (const e of [...events].sort((a, b) => a.at - b.at)) {
    const key = `${e.taskId}/${e.agent}`
    if (e.what === 'start') open.set(key, e)
    else {
      const s = open.get(key)
      if (s) out.push({ taskId: e.taskId, agent: e.agent, epoch: s.epoch, from: s.at, to: e.at })
      open.delete(key)
    }
  }
  for (const s of open.values()) out.push({ taskId: s.taskId, agent: s.agent, epoch: s.epoch, from: s.at, to: openEnd })
  return out
}

/** Pairs of intervals where two different agents worked on the same task at once (after `since`). */
export function overlaps(intervals: WorkInterval[], since = 0): [WorkInterval, WorkInterval][] {
  const out: [WorkInterval, WorkInterval][] = []
  const byTask = new Map<string, WorkInterval[]>()
  for (const i of intervals) byTask.set(i.taskId, [...(byTask.get(i.taskId) ?? []), i])
  for (const list of byTask.values()) {
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        const x = list[a]!
        const y = list[b]!
        if (x.agent === y.agent) continue
        const from = Math.max(x.from, y.from, since)
        const to = Math.min(x.to, y.to)
        if (to > from) out.push([x, y])
      }
    }
  }
  return out
}

export async function addTask(fleet: Fleet, agent: AgentProc, source: string, dest: string, extra: string[] = []): Promise<string> {
  const r = await fleet.run(['task', 'add', '--source', source, '--dest', `file://${dest}`, ...extra], agent)
  if (r.exitCode !== 0) throw new Error(`task add failed: ${r.stderr}`)
  return r.stdout.trim()
}

export interface TaskRow {
  id: string
  status: string
  agent: string | null
  round: number
  waitingReason: string | null
  counts: { migrated: number; unchanged: number; failed: number; toMigrate: number }
}

export async function listTasks(fleet: Fleet, agent: AgentProc): Promise<TaskRow[]> {
  return fleet.call<TaskRow[]>(agent, 'task.list')
}
