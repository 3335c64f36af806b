/**
 * One agent per data dir. The lock is a file created exclusively and holding the owner's pid; a lock
 * whose process is gone (kill -9) is stale and taken over. The level database's own lock backs this up.
 */
import fs from 'node:fs'
import { CliError, EXIT } from '../../api/errors.ts'
import { files } from '../../api/data-dir.ts'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export interface DirLock {
  release(): void
}

export function lockDataDir(dir: string): DirLock {
  const file = files(dir).lock
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600)
      fs.writeSync(fd, `${process.pid}\n`)
      fs.closeSync(fd)
      let released = false
      return {
        release() {
          if (released) return
          released = true
          try {
            if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file)
          } catch {
            /* already gone */
          }
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CliError(`cannot lock data dir ${dir}: ${(err as Error).message}`, EXIT.dataDirBusy)
      }
    }
    let pid = NaN
    try {
      pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10)
    } catch {
      /* vanished or half-written: retry */
    }
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new CliError(`data dir ${dir} is in use by another mmesh agent (pid ${pid}); stop it with mmesh stop --data ${dir} or use another --data`, EXIT.dataDirBusy)
    }
    // Stale: its process died without cleaning up.
    try {
      fs.unlinkSync(file)
    } catch {
      /* someone else removed it */
    }
  }
  throw new CliError(`data dir ${dir} is in use (lock ${file} keeps changing)`, EXIT.dataDirBusy)
}
