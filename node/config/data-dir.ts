/**
 * The data dir: everything one agent owns. Layout (see ARCH-NOTES-core.md):
 *   DIR/identity.key   Ed25519 private key (libp2p protobuf), 0600
 *   DIR/fleet.key      the fleet's pre-shared key when --fleet-key is not given, 0600
 *   DIR/config.json    name, group, capacity, lease TTL, maps, last listen addresses
 *   DIR/agent.lock     pid of the running agent (exclusive create)
 *   DIR/db/            level database (ledger updates and others' sublevels)
 *   DIR/control.sock   control endpoint (or a path under os.tmpdir() recorded in DIR/control.path)
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { CliError, EXIT } from '../cli/errors.ts'

export function resolveDataDir(flag?: string): string {
  const dir = flag ?? process.env.MMESH_DATA ?? path.join(os.homedir(), '.mmesh')
  return path.resolve(dir)
}

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

export const files = (dir: string) => ({
  identity: path.join(dir, 'identity.key'),
  fleetKey: path.join(dir, 'fleet.key'),
  config: path.join(dir, 'config.json'),
  lock: path.join(dir, 'agent.lock'),
  db: path.join(dir, 'db'),
  controlPathRecord: path.join(dir, 'control.path'),
})

/** Unix socket paths are limited to 108 bytes (107 + NUL); keep a margin. */
const MAX_SOCKET_PATH = 100

/**
 * Where the control socket of DIR lives: in DIR when the path fits, else in a directory of this user's own
 * under the temp dir (`mmesh-UID`, mode 0700), keyed by DIR. Not in the shared temp dir itself: anyone
 * could create the name first there, and the agent could neither remove it (sticky bit) nor tell a CLI
 * command that it is talking to someone else's socket.
 */
export function controlSocketPath(dir: string): string {
  const inDir = path.join(dir, 'control.sock')
  if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH) return inDir
  const hash = crypto.createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 20)
  return path.join(os.tmpdir(), `mmesh-${process.getuid?.() ?? 'user'}`, `${hash}.sock`)
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
