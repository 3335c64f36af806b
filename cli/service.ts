/**
 * The side of `mmesh service` that touches the system: where the unit goes, who runs it, systemctl.
 * Without systemctl (a container, a test) the unit is still written and the admin is told what to run.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CliError } from '../api/errors.ts'
import { resolveDataDir } from '../api/data-dir.ts'
import { packageRoot } from '../api/package-info.ts'
import { startArgs, systemdUnit, unitName } from './systemd-unit.ts'
import type { StartOptions } from './start.ts'

export interface ServicePlan {
  file: string
  unit: string
  user: boolean
  name: string
}


function unitDir(user: boolean, given?: string): string {
  if (given) return path.resolve(given)
  return user ? path.join(os.homedir(), '.config', 'systemd', 'user') : '/etc/systemd/system'
}

/** The data dir's owner (the unit runs the agent as that user), else whoever installs. */
function owner(dataDir: string): { user: string; group: string } | null {
  let uid = process.getuid?.() ?? 0
  let gid = process.getgid?.() ?? 0
  try {
    const st = fs.statSync(dataDir)
    uid = st.uid
    gid = st.gid
  } catch {
    // not made yet: the installing user's
  }
  if (uid === 0) return null
  const name = (file: string, id: number) => fs.readFileSync(file, 'utf8').split('\n').find((l) => l.split(':')[2] === String(id))?.split(':')[0]
  try {
    return { user: name('/etc/passwd', uid) ?? String(uid), group: name('/etc/group', gid) ?? String(gid) }
  } catch {
    return { user: String(uid), group: String(gid) }
  }
}

export function planService(o: StartOptions & { user?: boolean; unitDir?: string; tui?: boolean }): ServicePlan {
  if (o.tui) throw new CliError('--tui: a service has no terminal; watch it with mmesh tui --data DIR')
  const user = o.user === true
  const dataDir = resolveDataDir(o.data)
  const args = startArgs({ ...o, data: dataDir }, (p) => path.resolve(p))
  const ttl = o.leaseTtl === undefined ? 30 : Number(o.leaseTtl)
  if (!Number.isFinite(ttl) || ttl <= 0) throw new CliError(`--lease-ttl must be a whole number of seconds, got '${o.leaseTtl}'`)
  let unit: string
  try {
    unit = systemdUnit({ user, node: process.execPath, script: path.join(packageRoot(), 'bin', 'mmesh.js'), dataDir, runAs: user ? null : owner(dataDir) }, args, ttl)
  } catch (err) {
    throw new CliError((err as Error).message)
  }
  const name = unitName(dataDir)
  return { file: path.join(unitDir(user, o.unitDir), name), unit, user, name }
}

export function writeUnit(plan: ServicePlan): void {
  try {
    fs.mkdirSync(path.dirname(plan.file), { recursive: true })
    fs.writeFileSync(plan.file, plan.unit, { mode: 0o644 })
  } catch (err) {
    throw new CliError(`cannot write ${plan.file}: ${(err as Error).message}${plan.user ? '' : ' (a system unit needs root; or use --user)'}`)
  }
}

function systemctl(user: boolean, args: string[]): { ok: boolean; message: string } {
  const r = spawnSync('systemctl', [...(user ? ['--user'] : []), ...args], { encoding: 'utf8', timeout: 60_000 })
  if (r.error) return { ok: false, message: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'systemctl is not installed' : r.error.message }
  return { ok: r.status === 0, message: (r.stderr || r.stdout).trim().split('\n')[0] ?? '' }
}

/** daemon-reload and enable --now; answers what the admin should know (nothing when all went well). */
export function enable(plan: ServicePlan): string[] {
  const u = plan.user ? '--user ' : ''
  for (const args of [['daemon-reload'], ['enable', '--now', plan.name]]) {
    const r = systemctl(plan.user, args)
    if (!r.ok) return [`systemctl ${u}${args.join(' ')} failed (${r.message}); the unit is written: run systemctl ${u}daemon-reload && systemctl ${u}enable --now ${plan.name}`]
  }
  return [`started ${plan.name}; see it with systemctl ${u}status ${plan.name}, its log with mmesh logs`]
}

export function uninstall(dataDir: string, user: boolean, given?: string): { file: string | null; dir: string; notes: string[] } {
  const dir = unitDir(user, given)
  const name = unitName(dataDir)
  const file = path.join(dir, name)
  if (!fs.existsSync(file)) return { file: null, dir, notes: [] }
  const notes: string[] = []
  const stop = systemctl(user, ['disable', '--now', name])
  if (!stop.ok) notes.push(`systemctl disable --now ${name} failed (${stop.message}); stop the agent with mmesh stop --data ${dataDir} if it runs`)
  fs.rmSync(file)
  systemctl(user, ['daemon-reload'])
  return { file, dir, notes }
}
