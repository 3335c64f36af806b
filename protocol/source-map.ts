/**
 * `--map 'SOURCE_PREFIX=LOCAL_PATH'`: where an agent reads a share. UNC prefixes compare the way Windows
 * does (case-insensitive, either slash), on whole path segments, and the longest prefix wins, so
 * `\\fs01\dept` maps `\\fs01\dept\hr` but not `\\fs01\department`.
 */
export interface SourceMapping {
  source: string
  local: string
}

function segments(p: string): string[] {
  return p.replace(/\//g, '\\').split('\\').filter((s) => s.length > 0)
}

export function isUncPath(p: string): boolean {
  return /^(\\\\|\/\/)[^\\/]/.test(p)
}

/** The local path to read `source` from, or null when no mapping covers it. */
export function mapSourcePath(source: string, maps: readonly SourceMapping[]): string | null {
  const src = segments(source)
  let best: { len: number; local: string; rest: string[] } | null = null
  for (const m of maps) {
    const pre = segments(m.source)
    if (pre.length === 0 || pre.length > src.length) continue
    if (isUncPath(m.source) !== isUncPath(source)) continue
    if (!pre.every((s, i) => s.toLowerCase() === src[i]!.toLowerCase())) continue
    if (!best || pre.length > best.len) best = { len: pre.length, local: m.local, rest: src.slice(pre.length) }
  }
  if (!best) return null
  const base = best.local.replace(/\/+$/, '')
  return best.rest.length === 0 ? base || '/' : `${base}/${best.rest.join('/')}`
}

/**
 * Where this agent would read a task's source: through a mapping, or directly for an absolute POSIX
 * path. A UNC path with no mapping, or a Windows drive path on a POSIX agent, cannot be read here.
 */
export function localSourcePath(source: string, maps: readonly SourceMapping[], platform: 'posix' | 'win32'): { ok: true; path: string } | { ok: false; reason: string } {
  const mapped = mapSourcePath(source, maps)
  if (mapped !== null) return { ok: true, path: mapped }
  if (isUncPath(source)) {
    if (platform === 'win32') return { ok: true, path: source }
    return { ok: false, reason: `no --map covers ${source} (start the agent with --map '${source}=/mnt/…')` }
  }
  if (platform === 'posix' && source.startsWith('/')) return { ok: true, path: source }
  if (platform === 'win32' && /^[A-Za-z]:[\\/]/.test(source)) return { ok: true, path: source }
  return { ok: false, reason: `${source} is not a path this agent can read` }
}
