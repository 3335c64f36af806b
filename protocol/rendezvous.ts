/**
 * Rendezvous (highest-random-weight) scores: every replica ranks the same agents for a task the same
 * way with no coordination. A 53-bit hash of `taskId \0 agentId` built from two 32-bit multiply-xorshift
 * lanes (Math.imul): exact integer arithmetic, so identical on every machine and Node version, and cheap
 * enough to compute for every task on every scheduling pass (the scheduler also caches scores).
 */
export function rendezvousScore(taskId: string, agentId: string): number {
  const s = `${taskId}\u0000${agentId}`
  let h1 = 0xdeadbeef ^ s.length
  let h2 = 0x41c6ce57 ^ s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

/** Agents ordered best first for this task. */
export function rankAgents(taskId: string, agentIds: readonly string[]): string[] {
  return [...agentIds]
    .map((id) => ({ id, score: rendezvousScore(taskId, id) }))
    .sort((a, b) => (a.score === b.score ? (a.id < b.id ? -1 : 1) : b.score - a.score))
    .map((x) => x.id)
}

/** The `n` best agents for a key (item-result replicas, for example), excluding some. */
export function pickAgents(key: string, agentIds: readonly string[], n: number, exclude: readonly string[] = []): string[] {
  return rankAgents(key, agentIds.filter((a) => !exclude.includes(a))).slice(0, n)
}
