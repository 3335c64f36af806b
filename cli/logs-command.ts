/**
 * `mmesh logs [--follow]`: the agent's log from DIR/logs (one JSON line per event), oldest rotated file
 * first. --follow keeps printing new lines, across rotations, until interrupted. Reads files only: it works
 * when the agent is down, which is when an admin wants its log most.
 */
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { CliError } from '../api/errors.ts'
import { files } from '../api/data-dir.ts'
import { terminalSafe } from '../protocol/terminal-text.ts'

const ROTATED_KEPT = 5

function logPath(dir: string, n: number): string {
  return `${files(dir).logs}/${n === 0 ? 'agent.log' : `agent.log.${n}`}`
}

/** Prints what the files hold now; answers the current file's identity and how far it was read. */
function printAll(dir: string, write: (s: string) => void): { ino: number; offset: number } {
  for (let n = ROTATED_KEPT; n >= 1; n--) {
    if (fs.existsSync(logPath(dir, n))) write(fs.readFileSync(logPath(dir, n), 'utf8'))
  }
  const current = logPath(dir, 0)
  if (!fs.existsSync(current)) return { ino: -1, offset: 0 }
  const text = fs.readFileSync(current)
  write(text.toString('utf8'))
  return { ino: fs.statSync(current).ino, offset: text.length }
}

export async function showLogs(dir: string, follow: boolean, signal: AbortSignal, write: (s: string) => void): Promise<void> {
  if (!fs.existsSync(files(dir).logs)) throw new CliError(`no logs in ${terminalSafe(dir)}: start an agent there first (mmesh start --data ${terminalSafe(dir)})`)
  // a log line is JSON (control characters escaped), but a hand-edited file may hold anything
  const safe = (s: string) => write(s.split('\n').map((l) => terminalSafe(l)).join('\n'))
  let at = printAll(dir, safe)
  while (follow && !signal.aborted) {
    await sleep(250, undefined, { signal }).catch(() => {})
    let st: fs.Stats
    try {
      st = fs.statSync(logPath(dir, 0))
    } catch {
      continue
    }
    // rotated: the rest of the old file is agent.log.1 now; then the new file from its start
    if (st.ino !== at.ino) {
      if (at.ino !== -1) {
        try {
          const old = fs.readFileSync(logPath(dir, 1))
          if (old.length > at.offset) safe(old.subarray(at.offset).toString('utf8'))
        } catch {
          // rotated twice since: those lines are in the older files
        }
      }
      at = { ino: st.ino, offset: 0 }
    }
    if (st.size > at.offset) {
      const fd = fs.openSync(logPath(dir, 0), 'r')
      try {
        const buf = Buffer.alloc(st.size - at.offset)
        const n = fs.readSync(fd, buf, 0, buf.length, at.offset)
        // print whole lines only; a line being written is printed on the next round
        const upTo = buf.subarray(0, n).lastIndexOf(0x0a) + 1
        if (upTo > 0) safe(buf.subarray(0, upTo).toString('utf8'))
        at.offset += upTo
      } finally {
        fs.closeSync(fd)
      }
    }
  }
}
