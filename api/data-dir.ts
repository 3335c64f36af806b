/**
 * The data dir: everything one agent owns, and where its control endpoint is. Shared by the agent and
 * its clients (the CLI and the fleet view find the agent through it). Layout:
 *   DIR/identity.key   Ed25519 private key (libp2p protobuf), 0600
 *   DIR/fleet.key      the fleet's pre-shared key when --fleet-key is not given, 0600
 *   DIR/config.json    name, group, capacity, lease TTL, maps, last listen addresses
 *   DIR/agent.lock     pid of the running agent (exclusive create)
 *   DIR/db/            level database (ledger updates and others' sublevels)
 *   DIR/control.sock   control endpoint (or a path under os.tmpdir() recorded in DIR/control.path)
 */
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'

export function resolveDataDir(flag?: string): string {
  const dir = flag ?? process.env.MMESH_DATA ?? path.join(os.homedir(), '.mmesh')
  return path.resolve(dir)
}

export const files = (dir: string) => ({
  identity: path.join(dir, 'identity.key'),
  fleetKey: path.join(dir, 'fleet.key'),
  config: path.join(dir, 'config.json'),
  lock: path.join(dir, 'agent.lock'),
  db: path.join(dir, 'db'),
  controlPathRecord: path.join(dir, 'control.path'),
  /** agent.log and its rotated copies (agent/logs/rotating-log.ts; `mmesh logs`) */
  logs: path.join(dir, 'logs'),
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

