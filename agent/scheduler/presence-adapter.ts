/**
 * The scheduler's view of presence: who is live, how long a holder has been silent, our own heartbeat
 * fields, and what each peer has seen of the ledger (its state vector rides in its heartbeat), which
 * makes the settle window after a claim causal instead of a guess about gossip delays.
 */
import { createStateVectorCache } from '../replication/peer-state-vectors.ts'
import * as Y from 'yjs'
import type { Presence } from '../presence/presence.ts'
import type { PeerView, SchedulerPresence } from './types.ts'

export interface PresenceAdapterDeps {
  presence: Pick<Presence, 'peers' | 'isOnline' | 'lastHeard' | 'setField'>
  /** the ledger's document: its state vector is what we have seen */
  doc: Y.Doc
}

export function createPresenceAdapter(deps: PresenceAdapterDeps): SchedulerPresence & { ownFields(): Record<string, unknown>; stop(): void } {
  const own: Record<string, unknown> = {}
  const { doc, presence } = deps
  const decodeSv = createStateVectorCache()
  let svTimer: NodeJS.Timeout | null = null

  // Our state vector in every heartbeat, refreshed at most every 50 ms while the ledger changes.
  const publishSv = () => {
    svTimer = null
    const sv = Buffer.from(Y.encodeStateVector(doc)).toString('base64')
    own.sv = sv
    presence.setField('sv', sv)
  }
  // afterTransaction, not 'update': Yjs encodes every transaction's update for 'update' listeners, and
  // the replicator applies large catch-ups with none attached (see Replicator.applyQuietly).
  const onUpdate = () => {
    if (!svTimer) svTimer = setTimeout(publishSv, 50)
  }
  doc.on('afterTransaction', onUpdate)
  publishSv()

  function peerSv(id: string): Map<number, number> | null {
    return decodeSv(id, presence.peers().get(id)?.message.fields.sv)
  }


  return {
    liveAgents(withinMs?: number): PeerView[] {
      const out: PeerView[] = []
      const now = performance.now()
      for (const [id, p] of presence.peers()) {
        if (withinMs === undefined ? !presence.isOnline(id) : now - p.heardAt >= withinMs) continue
        const blocked = p.message.fields.blocked
        const notClaiming = p.message.fields.notClaiming
        out.push({
          ...(typeof notClaiming === 'string' ? { notClaiming } : {}),
          id,
          group: p.message.group,
          capacity: p.message.capacity,
          running: p.message.running,
          blocked: blocked && typeof blocked === 'object' && !Array.isArray(blocked) ? (blocked as Record<string, string>) : {},
        })
      }
      return out
    },
    silentForMs(agentId: string): number | undefined {
      const heard = presence.lastHeard(agentId)
      return heard === undefined ? undefined : performance.now() - heard
    },
    publish(fields: Record<string, unknown>): void {
      for (const [k, v] of Object.entries(fields)) {
        own[k] = v
        presence.setField(k, v)
      }
    },
    localClock: () => Y.getState(doc.store, doc.clientID),
    selfClient: () => doc.clientID,
    peerStateVector: (agentId: string) => peerSv(agentId),
    localCovers(sv: ReadonlyMap<number, number>): boolean {
      for (const [client, k] of sv) if (Y.getState(doc.store, client) < k) return false
      return true
    },
    ownFields: () => own,
    stop() {
      doc.off('afterTransaction', onUpdate)
      if (svTimer) clearTimeout(svTimer)
    },
  }
}
