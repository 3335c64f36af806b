/**
 * The agent's log file: DIR/logs/agent.log, one JSON line per event (pino), mode 0600. When a write would
 * take it past `maxBytes` it is rotated by size: agent.log → agent.log.1 → … → agent.log.N, the oldest
 * dropped, so an agent that runs for weeks never fills its disk with logs. Writes are synchronous (pino
 * hands it whole lines): a crash loses nothing logged before it.
 */
import fs from 'node:fs'
import path from 'node:path'

export interface RotatingLogOptions {
  /** rotate before the file would pass this size */
  maxBytes: number
  /** rotated files kept besides the current one */
  keep: number
}

export const DEFAULT_LOG_ROTATION: RotatingLogOptions = { maxBytes: 10 * 1024 * 1024, keep: 5 }

export function logFile(logDir: string, n = 0): string {
  return path.join(logDir, n === 0 ? 'agent.log' : `agent.log.${n}`)
}

export class RotatingLog {
  private fd: number
  private size: number

  constructor(
    private readonly dir: string,
    private readonly opts: RotatingLogOptions = DEFAULT_LOG_ROTATION,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    this.fd = this.openCurrent()
    this.size = fs.fstatSync(this.fd).size
  }

  private openCurrent(): number {
    // O_NOFOLLOW: a link planted at the log's name must not redirect the agent's writes
    return fs.openSync(logFile(this.dir), fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0), 0o600)
  }

  /** pino's destination interface: whole lines. */
  write(line: string): boolean {
    const bytes = Buffer.byteLength(line)
    if (this.size > 0 && this.size + bytes > this.opts.maxBytes) this.rotate()
    try {
      fs.writeSync(this.fd, line)
      this.size += bytes
    } catch {
      // a full or read-only disk must not stop the agent: the line still went to stderr
    }
    return true
  }

  private rotate(): void {
    try {
      fs.closeSync(this.fd)
      for (let n = this.opts.keep; n >= 1; n--) {
        const from = logFile(this.dir, n - 1)
        if (n === this.opts.keep) fs.rmSync(logFile(this.dir, n), { force: true })
        if (fs.existsSync(from)) fs.renameSync(from, logFile(this.dir, n))
      }
    } catch {
      // keep logging to whatever file opens next
    }
    this.fd = this.openCurrent()
    this.size = fs.fstatSync(this.fd).size
  }

  close(): void {
    try {
      fs.closeSync(this.fd)
    } catch {
      // closed already
    }
  }
}
