/**
 * Rendezvous (highest-random-weight) scores: every replica ranks the same agents for a task the same
 * way with no coordination. FNV-1a 64-bit over `taskId \0 agentId`, then a final mix; pure JS, stable
 * across Node versions and machines.
 */
const FNV_OFFSET = 0xcbf29ce484222325n
const FNV_PRIME = 0x100000001b3n
const MASK = 0xffffffffffffffffn

export function rendezvousScore(taskId: string, agentId: string): bigint {
  let h = FNV_OFFSET
  const s = `${taskId}\u0000${agentId}`
  for (let i = 0; i < s.length; i++) {
    h ^= BigInt(s.charCodeAt(i))
    h = (h * FNV_PRIME) & MASK
  }
  // splitmix64 finaliser: spreads FNV's weak low bits so close ids do not rank alike.
  h ^= h >> 30n
  h = (h * 0xbf58476d1ce4e5b9n) & MASK
  h ^= h >> 27n
  h = (h * 0x94d049bb133111ebn) & MASK
  h ^= h >> 31n
  return h
}

/** Agents ordered best first for this task. */
export function rankAgents(taskId: string, agentIds: readonly string[]): string[] {
  return [...agentIds]
    .map((id) => ({ id, score: rendezvousScore(taskId, id) }))
    .sort((a, b) => (a.score === b.score ? (a.id < b.id ? -1 : 1) : a.score > b.score ? -1 : 1))
    .map((x) => x.id)
}

/** The `n` best agents for a key (item-result replicas, for example), excluding some. */
export function pickAgents(key: string, agentIds: readonly string[], n: number, exclude: readonly string[] = []): string[] {
  return rankAgents(key, agentIds.filter((a) => !exclude.includes(a))).slice(0, n)
}
