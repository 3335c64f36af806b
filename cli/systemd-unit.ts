/**
 * `mmesh service install`: a systemd unit that runs `mmesh start` with the admin's flags, restarts it on
 * failure, runs it as the data dir's owner and gives it the lease TTL to release its leases on stop.
 * Pure: the command gathers the facts (paths, owner) and writes the file.
 */
import { createHash } from 'node:crypto'
import type { StartOptions } from './start.ts'

export interface UnitFacts {
  /** a user unit (`systemctl --user`), else a system unit */
  user: boolean
  /** node, then bin/mmesh.js */
  node: string
  script: string
  /** absolute */
  dataDir: string
  /** the data dir's owner, for a system unit (null: root, or a user unit) */
  runAs: { user: string; group: string } | null
}

/** The unit's file name: one agent per data dir, so the dir names it. */
export function unitName(dataDir: string): string {
  return `mmesh-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}.service`
}

/** `mmesh start`'s arguments for these options (absolute paths; the unit runs in /). */
export function startArgs(o: StartOptions, abs: (p: string) => string): string[] {
  const out = ['start', '--data', abs(o.data ?? '')]
  const one = (flag: string, v: string | undefined) => (v === undefined ? [] : [flag, v])
  const many = (flag: string, vs: readonly string[]) => vs.flatMap((v) => [flag, v])
  out.push(...one('--fleet-key', o.fleetKey === undefined ? undefined : abs(o.fleetKey)), ...one('--name', o.name))
  out.push(...many('--listen', o.listen), ...many('--peer', o.peer))
  if (o.mdns === false) out.push('--no-mdns')
  out.push(...one('--capacity', o.capacity), ...one('--group', o.group), ...one('--max-mbps', o.maxMbps), ...many('--map', o.map))
  out.push(...many('--source-root', o.sourceRoot.map(abs)), ...many('--dest-root', o.destRoot.map(abs)), ...one('--lease-ttl', o.leaseTtl))
  out.push(...one('--min-free-mb', o.minFreeMb))
  return out
}

/** systemd's quoting of one ExecStart word: double quotes, `\` and `"` escaped, `%` and `$` doubled. */
export function quoteWord(w: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(w)) throw new Error(`a control character in ${JSON.stringify(w)}: not allowed in a service's command line`)
  const escaped = w.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) && !w.includes('%') && !w.includes('$') ? w : `"${escaped}"`
}

export function systemdUnit(f: UnitFacts, args: readonly string[], leaseTtlSeconds: number): string {
  const exec = [f.node, f.script, ...args].map(quoteWord).join(' ')
  const lines = [
    '# written by mmesh service install; remove with mmesh service uninstall',
    '[Unit]',
    `Description=mmesh migration agent (${f.dataDir.replace(/%/g, '%%')})`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec}`,
    ...(f.runAs ? [`User=${f.runAs.user}`, `Group=${f.runAs.group}`] : []),
    // SIGTERM: the agent releases its leases and exits 0; it gets the lease TTL to do so
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${Math.max(10, leaseTtlSeconds)}`,
    'Restart=on-failure',
    'RestartSec=5',
    // exit 2 = the data dir is in use or unusable: restarting cannot fix that
    'RestartPreventExitStatus=2',
    '',
    '[Install]',
    `WantedBy=${f.user ? 'default.target' : 'multi-user.target'}`,
    '',
  ]
  return lines.join('\n')
}
