/**
 * Whether this agent can run a task: its owner allows the task's source and destination (task-access.ts:
 * the record checked again, paths resolved through links, compared with the roots), it can read the
 * source (directly or through `--map`) and reach and authenticate to the destination. A task no online
 * agent can run stays queued, and the reasons agents publish in their heartbeats become its `waitingReason`.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { localSourcePath, type SourceMapping } from '../../protocol/source-map.ts'
import type { AccessPolicy } from '../../protocol/access.ts'
import type { TaskSpec } from '../../protocol/records.ts'
import { checkTaskAccess, type TaskAccess } from './task-access.ts'
import type { CanRun, CanRunResult } from './types.ts'

export interface CanRunDeps {
  maps: readonly SourceMapping[]
  /** what this agent's owner lets it touch */
  policy: AccessPolicy
  /** True when this agent has SharePoint credentials: app-only (DIR/auth.json or MMESH_* variables) or a device-code sign-in (DIR/auth-delegated.json). */
  hasSharePointCredentials(): boolean
  platform?: 'posix' | 'win32'
  /** How long a filesystem check is trusted. */
  cacheMs?: number
}

export function createCanRun(deps: CanRunDeps): CanRun {
  const platform = deps.platform ?? (process.platform === 'win32' ? 'win32' : 'posix')
  const cacheMs = deps.cacheMs ?? 5_000
  const cache = new Map<string, { at: number; ok: boolean }>()
  // Resolving a task's paths costs a few system calls: remembered per record (the ledger hands out the
  // same frozen object until the record changes) for cacheMs.
  const accessCache = new WeakMap<TaskSpec, { at: number; access: TaskAccess }>()
  function access(spec: TaskSpec): TaskAccess {
    const hit = accessCache.get(spec)
    const now = Date.now()
    if (hit && now - hit.at < cacheMs) return hit.access
    const a = checkTaskAccess(spec, { maps: deps.maps, policy: deps.policy, platform })
    accessCache.set(spec, { at: now, access: a })
    return a
  }

  function exists(p: string): boolean {
    const hit = cache.get(p)
    const now = Date.now()
    if (hit && now - hit.at < cacheMs) return hit.ok
    let ok = false
    try {
      ok = fs.statSync(p).isDirectory()
    } catch {
      ok = false
    }
    cache.set(p, { at: now, ok })
    return ok
  }

  function mappingRootFor(source: string): string | null {
    const m = deps.maps.find((x) => localSourcePath(source, [x], platform).ok)
    return m ? m.local : null
  }

  // A "yes", per record: a pass looks at every free task, and re-deriving it (paths parsed, mappings
  // matched, roots resolved through links) for each of 1,000 free tasks on every pass was the largest
  // share of a fleet's scheduling CPU, growing with the tasks queued. Older than cacheMs it is derived
  // again when it decides something (a claim, a start); a pass ranking the free tasks may use it as it is
  // (`staleOk`). A "no" is not kept here, so a task that became runnable is seen as before; credentials
  // are asked each time (`mmesh auth` changes them while the agent runs).
  const yes = new WeakMap<TaskSpec, { at: number; result: CanRunResult }>()
  const noCredentials: CanRunResult = { ok: false, reason: 'this agent has no SharePoint credentials (run mmesh auth set or mmesh auth login on it)' }
  return (spec: TaskSpec, opts: { staleOk?: boolean } = {}) => {
    const hit = yes.get(spec)
    const now = Date.now()
    let result: CanRunResult
    if (hit && (opts.staleOk === true || now - hit.at < cacheMs)) result = hit.result
    else {
      result = check(spec)
      if (result.ok) yes.set(spec, { at: now, result })
      else yes.delete(spec)
    }
    return result.ok && !spec.destination.url.startsWith('file://') && !deps.hasSharePointCredentials() ? noCredentials : result
  }

  function check(spec: TaskSpec): CanRunResult {
    const allowed = access(spec)
    if (!allowed.ok) return { ok: false, reason: allowed.reason }
    const src = localSourcePath(spec.source, deps.maps, platform)
    if (!src.ok) return { ok: false, reason: src.reason }
    // A mapped share whose mount point is missing here cannot be read by this agent at all; a missing
    // folder inside a readable share is the engine's business (it waits and retries, then fails).
    const root = mappingRootFor(spec.source)
    if (root !== null && !exists(root)) return { ok: false, reason: `the mapped folder ${root} for ${spec.source} does not exist on this agent` }
    const url = spec.destination.url
    if (url.startsWith('file://')) {
      let dir: string
      try {
        dir = fileURLToPath(url)
      } catch {
        return { ok: false, reason: `destination ${url} is not a usable file:// URL` }
      }
      if (!exists(dir) && !exists(path.dirname(dir))) return { ok: false, reason: `destination folder ${dir} is not reachable from this agent` }
    }
    // SharePoint credentials are not this check's: the caller asks for them every time
    return { ok: true, sourceRoot: allowed.sourceRoot }
  }
}
