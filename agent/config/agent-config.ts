/**
 * DIR/config.json: what the agent was started with, so a restart without flags comes back the same
 * (name, group, capacity, bandwidth limit, lease TTL, maps, source and dest roots, and the listen addresses with the ports
 * they got).
 */
import fs from 'node:fs'
import os from 'node:os'
import { z } from 'zod'
import { CliError, EXIT } from '../../api/errors.ts'
import { files } from '../../api/data-dir.ts'
import { writeFileAtomic } from './data-dir.ts'

/** 1 TiB: a larger `--min-free-mb` is a typo. */
export const MAX_MIN_FREE_MB = 1024 * 1024

const mapEntrySchema = z.object({ source: z.string().min(1), local: z.string().min(1) })
export type PathMap = z.infer<typeof mapEntrySchema>

const configSchema = z
  .object({
    name: z.string().min(1).max(255).optional(),
    group: z.string().min(1).max(255).optional(),
    capacity: z.number().int().min(0).max(1000).optional(),
    /** `--max-mbps`: 0 or absent means no limit of its own */
    maxMbps: z.number().min(0).max(100_000).optional(),
    leaseTtlSeconds: z.number().min(1).max(86_400).optional(),
    maps: z.array(mapEntrySchema).optional(),
    sourceRoots: z.array(z.string().min(1)).optional(),
    destRoots: z.array(z.string().min(1)).optional(),
    minFreeMb: z.number().int().min(0).max(MAX_MIN_FREE_MB).optional(),
    /** addresses the agent listened on last time, with real ports */
    listen: z.array(z.string()).optional(),
  })
  .loose()
export type SavedConfig = z.infer<typeof configSchema>

export interface AgentSettings {
  name: string
  group: string
  capacity: number
  /** the agent's own bandwidth limit (`--max-mbps`), Mbit/s; 0: none */
  maxMbps: number
  leaseTtlSeconds: number
  maps: PathMap[]
  /** folders this agent may read sources under (`--source-root`; `--map` targets count too) */
  sourceRoots: string[]
  /** folders this agent may write file:// destinations under (`--dest-root`) */
  destRoots: string[]
  /** claim no new tasks while the data dir's file system has less free (`--min-free-mb`; 0: never) */
  minFreeMb: number
}

export const DEFAULTS = { group: 'Default', capacity: 5, leaseTtlSeconds: 30, minFreeMb: 256 }

export function readConfig(dir: string): SavedConfig {
  const file = files(dir).config
  if (!fs.existsSync(file)) return {}
  try {
    const parsed = configSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')))
    if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))
    return parsed.data
  } catch (err) {
    throw new CliError(`config ${file} is unreadable (${(err as Error).message}): fix or remove it`, EXIT.dataDirBusy)
  }
}

export function writeConfig(dir: string, config: SavedConfig): void {
  writeFileAtomic(files(dir).config, `${JSON.stringify(config, null, 2)}\n`, 0o600)
}

/** Flags win over the saved config, which wins over defaults. */
export function mergeSettings(saved: SavedConfig, flags: Partial<AgentSettings>): AgentSettings {
  return {
    name: flags.name ?? saved.name ?? os.hostname(),
    group: flags.group ?? saved.group ?? DEFAULTS.group,
    capacity: flags.capacity ?? saved.capacity ?? DEFAULTS.capacity,
    maxMbps: flags.maxMbps ?? saved.maxMbps ?? 0,
    leaseTtlSeconds: flags.leaseTtlSeconds ?? saved.leaseTtlSeconds ?? DEFAULTS.leaseTtlSeconds,
    maps: flags.maps && flags.maps.length > 0 ? flags.maps : (saved.maps ?? []),
    sourceRoots: flags.sourceRoots && flags.sourceRoots.length > 0 ? flags.sourceRoots : (saved.sourceRoots ?? []),
    destRoots: flags.destRoots && flags.destRoots.length > 0 ? flags.destRoots : (saved.destRoots ?? []),
    minFreeMb: flags.minFreeMb ?? saved.minFreeMb ?? DEFAULTS.minFreeMb,
  }
}

/**
 * A `--source-root`/`--dest-root` folder as the agent will compare paths against it: absolute, and with
 * symbolic links resolved when it exists (a task's paths are resolved too, so a link cannot lead out).
 */
export function normalizeRoot(flag: string, dir: string, realpath: (p: string) => string): string {
  if (!dir.startsWith('/')) throw new CliError(`${flag} '${dir}' is not an absolute folder: give the full path, e.g. ${flag} /srv/shares`)
  const parts = dir.split('/').filter((p) => p !== '')
  if (parts.some((p) => p === '.' || p === '..')) throw new CliError(`${flag} '${dir}' has "." or ".." segments: give the folder's full path`)
  const clean = `/${parts.join('/')}`
  try {
    return realpath(clean)
  } catch {
    return clean
  }
}

/** `--map 'SOURCE_PREFIX=LOCAL_PATH'`: split at the first '=' (UNC paths contain none). */
export function parseMap(text: string): PathMap {
  const i = text.indexOf('=')
  if (i <= 0 || i === text.length - 1) throw new CliError(`--map '${text}' is not SOURCE_PREFIX=LOCAL_PATH (e.g. --map '\\\\fs01\\dept=/mnt/fs01/dept')`)
  return { source: text.slice(0, i), local: text.slice(i + 1) }
}

/**
 * The listen addresses for this start: the flags (or the saved ones, or the default), with a port 0
 * replaced by the port this dir had last time on the same host address, so --peer addresses stay valid.
 */
export function listenAddresses(flags: string[] | undefined, saved: string[] | undefined): string[] {
  if ((!flags || flags.length === 0) && saved && saved.length > 0) return saved
  const wanted = flags && flags.length > 0 ? flags : ['/ip4/0.0.0.0/tcp/0']
  if (!saved || saved.length === 0) return wanted
  return wanted.map((addr) => {
    const m = /^\/(ip4|ip6)\/([^/]+)\/tcp\/0$/.exec(addr)
    if (!m) return addr
    const prev = saved.find((s) => s.startsWith(`/${m[1]}/${m[2]}/tcp/`))
    return prev ?? addr
  })
}
