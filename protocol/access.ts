/**
 * What an agent's owner allows it to touch: sources only under its source roots (`--source-root`, and the
 * local side of every `--map`), `file://` destinations only under its dest roots (`--dest-root`), and
 * never its own data dir, whatever the roots say. Every task is untrusted input (anyone with the fleet key
 * can write the ledger), so the agent checks a task against this policy when it decides it can run it and
 * again right before it reads or writes anything. Pure: paths here are already absolute and, on the agent,
 * resolved through symbolic links (realpath) by the caller, so a link cannot carry a path out of a root.
 */

export interface AccessPolicy {
  sourceRoots: readonly string[]
  destRoots: readonly string[]
  /** the agent's own data dir (identity key, credentials, ledger): off limits to every task */
  dataDir: string
}

/** An absolute POSIX path with no `.`/`..` segments and no trailing slash, or null. */
export function normalizeAbsolute(p: string): string | null {
  if (!p.startsWith('/') || p.includes('\0')) return null
  const parts = p.split('/').filter((s) => s !== '')
  if (parts.some((s) => s === '.' || s === '..')) return null
  return `/${parts.join('/')}`
}

/** True when `p` is `root` or lies below it (whole segments: /srv/a does not hold /srv/ab). */
export function isWithin(root: string, p: string): boolean {
  if (root === '/') return true
  return p === root || p.startsWith(`${root}/`)
}

function rootsText(roots: readonly string[]): string {
  return roots.length <= 3 ? roots.join(', ') : `${roots.slice(0, 3).join(', ')} and ${roots.length - 3} more`
}

/**
 * Null when the agent may read `source` (a local absolute path), else one sentence naming why and the
 * fix. A source that holds the data dir is refused too: walking it would read the agent's secrets.
 */
export function sourceAccessError(source: string, policy: AccessPolicy): string | null {
  const p = normalizeAbsolute(source)
  if (p === null) return `source ${source} is not an absolute path without "." or ".." segments`
  if (isWithin(policy.dataDir, p) || isWithin(p, policy.dataDir)) return `source ${p} is this agent's own data dir or holds it: an agent never reads its data dir`
  if (policy.sourceRoots.length === 0) return `this agent has no source root: start it with --source-root DIR (or --map) to let it read ${p}`
  if (!policy.sourceRoots.some((r) => isWithin(r, p))) return `source ${p} is outside this agent's source roots (${rootsText(policy.sourceRoots)}): add --source-root on the agent that should read it`
  return null
}

/** Null when the agent may write a `file://` destination folder `dir`, else why and the fix. */
export function destAccessError(dir: string, policy: AccessPolicy): string | null {
  const p = normalizeAbsolute(dir)
  if (p === null) return `destination ${dir} is not an absolute path without "." or ".." segments`
  if (isWithin(policy.dataDir, p) || isWithin(p, policy.dataDir)) return `destination ${p} is this agent's own data dir or holds it: an agent never writes into its data dir`
  if (policy.destRoots.length === 0) return `this agent has no dest root: start it with --dest-root DIR to let it write file:// destinations such as ${p}`
  if (!policy.destRoots.some((r) => isWithin(r, p))) return `destination ${p} is outside this agent's dest roots (${rootsText(policy.destRoots)}): add --dest-root on the agent that should write it`
  return null
}

/** What an agent's ledger entry says its owner allows (AgentRecord.access). */
export interface AdvertisedAccess {
  sourceRoots: readonly string[]
  mapSources: readonly string[]
  destRoots: readonly string[]
}

/** The parts of a task that decide where it reads and writes. */
export interface TaskPlaces {
  source: string
  destination: { url: string; library: string | null; folder: string | null }
}

function uncSegments(p: string): string[] {
  return p.replace(/\//g, '\\').split('\\').filter((s) => s !== '')
}

/**
 * Whether an agent advertising `access` would run the task, judged from the ledger alone (lexically: the
 * agent itself resolves links and checks again before it acts). A `file://` URL's folder is taken as its
 * path, with the library and folder below it.
 */
export function advertisedAllows(task: TaskPlaces, access: AdvertisedAccess): boolean {
  const src = task.source
  if (/^(\\\\|\/\/)[^\\/]/.test(src)) {
    const s = uncSegments(src).map((x) => x.toLowerCase())
    const covered = access.mapSources.some((m) => {
      const pre = uncSegments(m).map((x) => x.toLowerCase())
      return pre.length > 0 && pre.length <= s.length && pre.every((x, i) => x === s[i])
    })
    if (!covered) return false
  } else {
    const p = normalizeAbsolute(src)
    if (p === null || !access.sourceRoots.some((r) => isWithin(r, p))) return false
  }
  const url = task.destination.url
  if (!url.startsWith('file://')) return true
  let base: string
  try {
    base = decodeURIComponent(new URL(url).pathname)
  } catch {
    return false
  }
  const extra = [task.destination.library, task.destination.folder].filter((x): x is string => !!x).flatMap((x) => x.split(/[\\/]+/))
  const dir = normalizeAbsolute([base, ...extra].join('/'))
  return dir !== null && access.destRoots.some((r) => isWithin(r, dir))
}
