/**
 * End-of-run checks that read what the agents left behind: how often each file was copied (the copy
 * log each agent writes with test hooks on) and whether any agent died other than by the harness.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { AgentProc } from '../fixtures/fleet.ts'
import { fileKey, type Share } from './shares.ts'

export interface Check {
  name: string
  ok: boolean
  detail: string
}

export interface CopyFigures {
  files: number
  totalCopies: number
  /** copies beyond one per file (two for a file whose source was edited: that one must copy again) */
  duplicates: number
  duplicateRatio: number
  /** files never logged as copied (a kill between the rename and the log line; they must still have landed) */
  unlogged: number
}

/**
 * What "copied" means: a put that committed the file under its final name at the destination. A file
 * whose source the harness edited legitimately lands twice (the first content, then the edit); every
 * other commit beyond the first is duplicated work (a takeover redoing what a killed or cut-off holder
 * had done, or two holders during a split).
 */
export function countCopies(agents: AgentProc[], taskOf: Map<string, Share>, shares: Share[], sourceEdited: Set<string>): CopyFigures {
  const counts = new Map<string, number>()
  let total = 0
  for (const a of agents) {
    const file = path.join(a.dir, 'copy-log.jsonl')
    if (!fs.existsSync(file)) continue
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue
      let rec: { taskId: string; rel: string }
      try {
        rec = JSON.parse(line) as { taskId: string; rel: string }
      } catch {
        continue // the last line of a killed agent may be cut short
      }
      const share = taskOf.get(rec.taskId)
      if (!share) continue
      const key = fileKey({ task: share.index, rel: rec.rel })
      counts.set(key, (counts.get(key) ?? 0) + 1)
      total++
    }
  }
  let files = 0
  let duplicates = 0
  let unlogged = 0
  for (const s of shares) {
    for (const f of s.files) {
      files++
      const key = fileKey(f)
      const n = counts.get(key) ?? 0
      if (n === 0) unlogged++
      duplicates += Math.max(0, n - (sourceEdited.has(key) ? 2 : 1))
    }
  }
  return { files, totalCopies: total, duplicates, duplicateRatio: files === 0 ? 0 : duplicates / files, unlogged }
}

/** Exits the harness did not cause, agents not running at the end, and uncaught errors in stderr. */
export function findCrashes(
  agents: AgentProc[],
  exits: { agent: string; code: number | null; signal: string | null; expected: boolean }[],
): string[] {
  const out: string[] = []
  for (const e of exits) if (!e.expected) out.push(`${e.agent} exited by itself (code ${e.code}, signal ${e.signal})`)
  for (const a of agents) {
    if (!a.proc || a.proc.exitCode !== null || a.proc.signalCode !== null) out.push(`${a.name} is not running at the end`)
    const err = a.stderr()
    const m = /uncaught|unhandled ?(promise )?rejection|"level":60|FATAL ERROR|heap out of memory/i.exec(err)
    if (m) out.push(`${a.name} stderr: …${err.slice(Math.max(0, m.index - 100), m.index + 300).replace(/\s+/g, ' ')}…`)
  }
  return out
}
