/** The agent's side of its data dir: created private, a private socket dir, atomic writes. Layout: api/data-dir.ts. */
import fs from 'node:fs'
import path from 'node:path'
import { CliError, EXIT } from '../../api/errors.ts'

export function ensureDataDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    const st = fs.statSync(dir)
    if (!st.isDirectory()) throw new Error('not a directory')
    // Created by someone else with wider rights: tighten, the dir holds the identity key.
    if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700)
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.R_OK)
  } catch (err) {
    throw new CliError(`data dir ${dir} is unusable (${(err as Error).message}): pass --data with a writable directory`, EXIT.dataDirBusy)
  }
}

/**
 * Makes sure the directory of a control socket outside its data dir is this user's alone: created 0700 if
 * missing, refused if it is a symlink, someone else's, or open to others.
 */
export function ensurePrivateSocketDir(socketPath: string, dataDir: string): void {
  const dir = path.dirname(socketPath)
  if (path.resolve(dir) === path.resolve(dataDir)) return
  try {
    fs.mkdirSync(dir, { mode: 0o700 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new CliError(`cannot create ${dir} for the control socket (${(err as NodeJS.ErrnoException).code}): set TMPDIR to a writable directory of yours`, EXIT.dataDirBusy)
  }
  const st = fs.lstatSync(dir)
  const uid = process.getuid?.()
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new CliError(`${dir} (for the control socket) is not private to you (${st.isDirectory() ? `owner uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)}` : 'not a directory'}): remove it, or set TMPDIR to a private directory`, EXIT.dataDirBusy)
  }
}

/** Writes a file atomically (temp + rename) with the given mode. */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, data, { mode })
  fs.chmodSync(tmp, mode)
  fs.renameSync(tmp, file)
}
