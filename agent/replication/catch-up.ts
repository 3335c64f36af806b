/**
 * How far an agent's ledger is behind, in records, so a slow join shows as "catching up 7,500 records"
 * rather than as missing tasks (`mmesh agents`, the fleet view). It counts the records the peers hold and
 * we do not yet: each heartbeat carries its sender's Yjs state vector
 *    (`sv`, published by the scheduler's presence adapter), and every ledger write is one Yjs struct, so
 *    the sum over writers of (their clock in the peer's vector − ours) counts the writes we lack,
 *    superseded ones included (a claim released later is two writes). A heartbeat is up to one interval
 *    old, so a gap only shows when we lacked what the peer had that long ago.
 * Each agent publishes its own figure in its heartbeat (`catchingUp`), which is what others show for it.
 */
import * as Y from 'yjs'
import { createStateVectorCache } from './peer-state-vectors.ts'

export interface CatchUpMeter {
  /** Records this agent is behind now (0 when caught up). */
  behind(): number
  /** What `agentId` last said of itself (self: `behind()`); null when caught up or unknown. */
  of(agentId: string): number | null
  stop(): void
}

export interface CatchUpDeps {
  self: string
  doc: Y.Doc
  /** online peers' heartbeat fields */
  peerFields(): Iterable<[string, Record<string, unknown>]>
  publish(records: number): void
  /** how often our own figure is refreshed in the heartbeat */
  publishMs?: number
}

export function createCatchUpMeter(deps: CatchUpDeps): CatchUpMeter {
  const peerVector = createStateVectorCache()

  function missing(): number {
    const most = new Map<number, number>()
    for (const [id, fields] of deps.peerFields()) {
      const sv = peerVector(id, fields.sv)
      if (!sv) continue
      for (const [client, clock] of sv) if (clock > (most.get(client) ?? 0)) most.set(client, clock)
    }
    let n = 0
    for (const [client, clock] of most) n += Math.max(0, clock - Y.getState(deps.doc.store, client))
    return n
  }

  const behind = () => missing()
  let published = -1
  const timer = setInterval(() => {
    const n = behind()
    if (n !== published) deps.publish(n)
    published = n
  }, deps.publishMs ?? 500)
  timer.unref()

  return {
    behind,
    of(agentId) {
      if (agentId === deps.self) return behind() || null
      for (const [id, fields] of deps.peerFields()) {
        if (id !== agentId) continue
        const n = fields.catchingUp
        return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : null
      }
      return null
    },
    stop: () => clearInterval(timer),
  }
}
