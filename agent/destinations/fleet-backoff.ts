/**
 * The fleet-wide SharePoint back-off as seen by one agent. SharePoint throttles per app and tenant, so an
 * agent told to wait publishes how long in its heartbeat and every agent eases off until then. A peer's
 * figure is only a hint from another machine (any holder of the fleet key can send one): it is capped at
 * MAX_PEER_BACKOFF_MS and at the Retry-After the peer quotes, counted from when this agent first saw it
 * on its own clock, so no heartbeat can stop SharePoint work fleet-wide for longer than that.
 */
export const MAX_PEER_BACKOFF_MS = 15 * 60_000

/** Heartbeat fields: the end of the back-off (ISO, the sender's clock) and the wait it was told (ms). */
export interface BackoffFields {
  backoffUntil?: unknown
  backoffForMs?: unknown
}

export function createFleetBackoff(nowMs: () => number = () => Date.now()) {
  /** per peer: the advertised value and when we first saw it */
  const seen = new Map<string, { text: string; firstSeenMs: number }>()
  return {
    /** When this peer's advertised back-off ends for us (0: none). */
    peerUntil(peerId: string, fields: BackoffFields): number {
      const text = typeof fields.backoffUntil === 'string' ? fields.backoffUntil : ''
      const advertised = Date.parse(text)
      if (!Number.isFinite(advertised)) {
        seen.delete(peerId)
        return 0
      }
      let entry = seen.get(peerId)
      if (!entry || entry.text !== text) seen.set(peerId, (entry = { text, firstSeenMs: nowMs() }))
      const quoted = typeof fields.backoffForMs === 'number' && fields.backoffForMs >= 0 ? fields.backoffForMs : MAX_PEER_BACKOFF_MS
      return Math.min(advertised, entry.firstSeenMs + Math.min(quoted, MAX_PEER_BACKOFF_MS))
    },
    forget(peerId: string): void {
      seen.delete(peerId)
    },
  }
}
