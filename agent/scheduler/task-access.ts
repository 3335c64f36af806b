/**
 * Whether this agent may run a task, by what its owner allows (protocol/access.ts). A task record is
 * untrusted input: any holder of the fleet key can write one, bypassing the checks `task add` makes. So
 * the record is checked again here with the same rules (source, destination URL, library, folder), the
 * paths it names are resolved through symbolic links, and only then compared with the roots — when the
 * scheduler decides the agent can run it, and again right before each round reads or writes anything.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { destAccessError, sourceAccessError, type AccessPolicy } from '../../protocol/access.ts'
import { localSourcePath, type SourceMapping } from '../../protocol/source-map.ts'
import { checkDestinationUrl, checkFolder, checkLibrary, checkSource } from '../../protocol/task-paths.ts'
import type { TaskSpec } from '../../protocol/records.ts'

export interface TaskAccessDeps {
  maps: readonly SourceMapping[]
  policy: AccessPolicy
  platform: 'posix' | 'win32'
  /** resolves symbolic links (fs.realpathSync.native); injected for tests of odd filesystems */
  realpath?: (p: string) => string
}

export type TaskAccess =
  | { ok: true; sourceRoot: string; destDir: string | null }
  | { ok: false; reason: string; /** the task's record itself is bad (no agent may run it) */ badRecord: boolean }

/**
 * `p` with symbolic links resolved: the longest existing prefix through realpath, the rest as written
 * (a folder the engine will create later cannot be a link yet).
 */
export function resolveThroughLinks(p: string, realpath: (p: string) => string): string {
  const rest: string[] = []
  let cur = p
  for (;;) {
    try {
      const real = realpath(cur)
      return rest.length === 0 ? real : path.join(real, ...rest.reverse())
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      const parent = path.dirname(cur)
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === cur) return p
      rest.push(path.basename(cur))
      cur = parent
    }
  }
}

export function checkTaskAccess(spec: TaskSpec, deps: TaskAccessDeps): TaskAccess {
  const realpath = deps.realpath ?? ((p: string) => fs.realpathSync.native(p))
  const bad = (reason: string): TaskAccess => ({ ok: false, reason: `the task's record is not valid: ${reason}`, badRecord: true })
  const source = checkSource(spec.source)
  if (!source.ok) return bad(source.error)
  const dest = checkDestinationUrl(spec.destination.url)
  if (!dest.ok) return bad(dest.error)
  if (spec.destination.library !== null) {
    const lib = checkLibrary(spec.destination.library)
    if (!lib.ok) return bad(lib.error)
  }
  if (spec.destination.folder !== null) {
    const folder = checkFolder(spec.destination.folder)
    if (!folder.ok) return bad(folder.error)
  }

  const local = localSourcePath(source.value, deps.maps, deps.platform)
  if (!local.ok) return { ok: false, reason: local.reason, badRecord: false }
  const sourceRoot = resolveThroughLinks(local.path, realpath)
  const srcErr = sourceAccessError(sourceRoot, deps.policy)
  if (srcErr) return { ok: false, reason: local.path === sourceRoot ? srcErr : `${srcErr} (${local.path} leads there through a symbolic link)`, badRecord: false }

  if (dest.value.kind !== 'file') return { ok: true, sourceRoot, destDir: null }
  const base = fileURLToPath(dest.value.url)
  const parts = [spec.destination.library, spec.destination.folder].filter((p): p is string => !!p).flatMap((p) => p.split(/[\\/]+/)).filter(Boolean)
  const target = path.join(base, ...parts)
  const destDir = resolveThroughLinks(target, realpath)
  const destErr = destAccessError(destDir, deps.policy)
  if (destErr) return { ok: false, reason: target === destDir ? destErr : `${destErr} (${target} leads there through a symbolic link)`, badRecord: false }
  return { ok: true, sourceRoot, destDir }
}
