/**
 * Presence: every agent's ephemeral heartbeat on its own topic, never in the ledger (an idle fleet must
 * not grow it). Liveness is judged on this agent's monotonic clock (`performance.now()`), so clock skew
 * between machines does not matter. Heartbeats also carry addresses (peer exchange).
 *
 * What a heartbeat costs is paid by every agent for every agent, so it is kept to what changes: the list
 * of our peers (peer exchange, O(fleet) bytes) rides only when our connections changed since it last
 * rode, and every PEERS_EVERY heartbeats in case one was lost; a peer's subscription brings the next
 * heartbeat forward, at most once per half interval (a fleet forming would otherwise send one heartbeat
 * per agent per newcomer to every agent: O(fleet³) messages).
 */
import { EventEmitter } from 'node:events'
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { Logger } from 'pino'
import type { Host } from '../host/host.ts'
import { PRESENCE_TOPIC, MAX_PRESENCE_MESSAGE } from '../../protocol/wire.ts'
import { PRESENCE_VERSION, decodePresence, encodePresence, type PresenceMessage } from '../../protocol/presence.ts'
import { MISSED_HEARTBEATS_OFFLINE, notClaimingText, type PresenceSnapshot } from '../../protocol/agents-view.ts'
import { RateLimitedLog } from '../replication/rate-log.ts'
import { readOwnFlags, type OwnFlags } from '../../protocol/fleet-config.ts'

/** A heartbeat carries our peer list at least this often (in heartbeats) even when nothing changed. */
export const PEERS_EVERY = 15

export interface PresenceSelf {
  name: string
  host: string
  group: string
  version: string
  capacity: number
}

export interface PeerPresence {
  message: PresenceMessage
  /** performance.now() when last heard */
  heardAt: number
  /** wall clock when last heard */
  heardWall: number
}

export interface PresenceChange {
  peer: string
  kind: 'joined' | 'updated' | 'left'
}

export interface PresenceOptions {
  intervalMs: number
  /** returns the addresses to announce (own) and the connected peers with theirs */
  addrs: () => string[]
  knownPeers: () => Promise<{ id: string; addrs: string[] }[]>
  /** called for every peer we hear of, with its addresses (the dialer connects if needed) */
  onPeerAddrs?: (id: string, addrs: string[]) => void
  isBlocked?: (peer: string) => boolean
}

export class Presence extends EventEmitter<{ change: [PresenceChange] }> {
  private readonly peerMap = new Map<string, PeerPresence>()
  private readonly fields: Record<string, unknown> = {}
  private running = 0
  private throughput = 0
  private seq = 0
  private timer: NodeJS.Timeout | null = null
  private sweepTimer: NodeJS.Timeout | null = null
  private readonly warn: RateLimitedLog
  private stopped = false
  /** the connected peers (sorted ids) the last peer list we sent named, and heartbeats since */
  private peersSent = ''
  private beatsWithoutPeers = 0
  private earlyTimer: NodeJS.Timeout | null = null
  private lastEarlyAt = -Infinity
  /** heartbeats decoded by the validator, so the message handler does not decode them again */
  private readonly validated = new WeakMap<Message, PresenceMessage>()

  constructor(
    private readonly host: Host,
    private self: PresenceSelf,
    private readonly log: Logger,
    private readonly opts: PresenceOptions,
  ) {
    super()
    this.warn = new RateLimitedLog(log, 10, 10_000)
  }

  get intervalMs(): number {
    return this.opts.intervalMs
  }

  start(): void {
    const pubsub = this.host.services.pubsub
    pubsub.topicValidators.set(PRESENCE_TOPIC, (_peer, msg) => this.validate(msg))
    pubsub.addEventListener('message', this.onMessage)
    pubsub.subscribe(PRESENCE_TOPIC)
    // A peer subscribed: a heartbeat soon (coalesced, see onSubscriptionChange), so a newcomer hears of us.
    pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    const beat = () => {
      if (this.stopped) return
      void this.announce()
      this.timer = setTimeout(beat, this.opts.intervalMs)
    }
    beat()
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(100, Math.floor(this.opts.intervalMs / 2)))
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    if (this.sweepTimer) clearInterval(this.sweepTimer)
    if (this.earlyTimer) clearTimeout(this.earlyTimer)
    this.host.services.pubsub.removeEventListener('message', this.onMessage)
    this.host.services.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
  }

  /** Extension fields carried in every heartbeat (`running` and `throughput` set the core fields). */
  setField(key: string, value: unknown): void {
    if (key === 'running' && typeof value === 'number') this.running = Math.max(0, Math.floor(value))
    else if (key === 'throughput' && typeof value === 'number') this.throughput = Math.max(0, value)
    else if (value === undefined) delete this.fields[key]
    else this.fields[key] = value
  }

  updateSelf(patch: Partial<PresenceSelf>): void {
    this.self = { ...this.self, ...patch }
  }

  /** Peers heard in this run (not including self). */
  peers(): ReadonlyMap<string, PeerPresence> {
    return this.peerMap
  }

  /** performance.now()-based time when the agent was last heard, or undefined. */
  lastHeard(agentId: string): number | undefined {
    return this.peerMap.get(agentId)?.heardAt
  }

  isOnline(agentId: string): boolean {
    if (agentId === this.host.peerId.toString()) return true
    const p = this.peerMap.get(agentId)
    return !!p && performance.now() - p.heardAt <= p.message.intervalMs * MISSED_HEARTBEATS_OFFLINE
  }

  /** Snapshots for protocol/agents-view.ts, self included. */
  snapshots(): Map<string, PresenceSnapshot> {
    const now = performance.now()
    const out = new Map<string, PresenceSnapshot>()
    for (const [id, p] of this.peerMap) {
      const m = p.message
      out.set(id, {
        name: m.name, host: m.host, group: m.group, capacity: m.capacity, running: m.running,
        silentMs: now - p.heardAt, intervalMs: m.intervalMs, lastSeen: new Date(p.heardWall).toISOString(),
        ...overrideField(m.fields),
        ...ownOf(m.fields),
        notClaiming: notClaimingText(m.fields.notClaiming),
      })
    }
    const s = this.self
    out.set(this.host.peerId.toString(), {
      name: s.name, host: s.host, group: s.group, capacity: s.capacity, running: this.running,
      silentMs: 0, intervalMs: this.opts.intervalMs, lastSeen: new Date().toISOString(),
      ...overrideField(this.fields),
      ...ownOf(this.fields),
      notClaiming: notClaimingText(this.fields.notClaiming),
    })
    return out
  }

  message(peers: { id: string; addrs: string[] }[]): PresenceMessage {
    return {
      v: PRESENCE_VERSION,
      id: this.host.peerId.toString(),
      ...this.self,
      running: this.running,
      throughput: this.throughput,
      intervalMs: this.opts.intervalMs,
      seq: this.seq++,
      addrs: this.opts.addrs().slice(0, 16),
      peers: peers.slice(0, 256).map((p) => ({ id: p.id, addrs: p.addrs.slice(0, 16) })),
      fields: { ...this.fields },
    }
  }

  private async announce(): Promise<void> {
    try {
      const connected = [...new Set(this.host.getConnections().map((c) => c.remotePeer.toString()))].sort().join(',')
      const withPeers = connected !== this.peersSent || this.beatsWithoutPeers + 1 >= PEERS_EVERY
      if (withPeers) {
        this.peersSent = connected
        this.beatsWithoutPeers = 0
      } else this.beatsWithoutPeers++
      const msg = this.message(withPeers ? await this.opts.knownPeers() : [])
      let bytes = encodePresence(msg)
      if (bytes.byteLength > MAX_PRESENCE_MESSAGE) bytes = encodePresence({ ...msg, peers: [] })
      await this.host.services.pubsub.publish(PRESENCE_TOPIC, bytes)
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'presence publish failed')
    }
  }

  // A newcomer should not wait a whole interval to hear of us, but under churn (a fleet forming) an
  // announce per subscription would multiply: one early heartbeat per half interval at most.
  private readonly onSubscriptionChange = () => {
    if (this.stopped || this.earlyTimer || performance.now() - this.lastEarlyAt < this.opts.intervalMs / 2) return
    this.earlyTimer = setTimeout(() => {
      this.earlyTimer = null
      this.lastEarlyAt = performance.now()
      if (!this.stopped) void this.announce()
    }, Math.min(100, this.opts.intervalMs / 4))
  }

  private validate(msg: Message): TopicValidatorResult {
    if (msg.type !== 'signed' || msg.data.byteLength > MAX_PRESENCE_MESSAGE) return TopicValidatorResult.Reject
    const decoded = decodePresence(msg.data)
    if (!decoded.ok) {
      this.warn.warn({ from: msg.from.toString(), reason: decoded.reason }, 'rejected a presence message')
      return TopicValidatorResult.Reject
    }
    // A heartbeat speaks for its signer only.
    if (decoded.value.id !== msg.from.toString()) return TopicValidatorResult.Reject
    this.validated.set(msg, decoded.value)
    return TopicValidatorResult.Accept
  }

  private readonly onMessage = (evt: CustomEvent<Message>) => {
    const msg = evt.detail
    if (msg.topic !== PRESENCE_TOPIC || msg.type !== 'signed' || this.stopped) return
    const id = msg.from.toString()
    if (id === this.host.peerId.toString() || this.opts.isBlocked?.(id)) return
    const cached = this.validated.get(msg)
    const decoded = cached ? { ok: true as const, value: cached } : decodePresence(msg.data)
    if (!decoded.ok || decoded.value.id !== id) return
    const m = decoded.value
    const prev = this.peerMap.get(id)
    // Out-of-order heartbeats of one run (same or lower seq, recently heard) are stale.
    const wasOnline = this.isOnline(id)
    this.peerMap.set(id, { message: m, heardAt: performance.now(), heardWall: Date.now() })
    if (!prev || !wasOnline) this.emit('change', { peer: id, kind: 'joined' })
    else if (changed(prev.message, m)) this.emit('change', { peer: id, kind: 'updated' })
    this.opts.onPeerAddrs?.(id, m.addrs)
    for (const p of m.peers) if (p.id !== this.host.peerId.toString()) this.opts.onPeerAddrs?.(p.id, p.addrs)
  }

  private readonly offline = new Set<string>()

  private sweep(): void {
    for (const id of this.peerMap.keys()) {
      const online = this.isOnline(id)
      if (!online && !this.offline.has(id)) {
        this.offline.add(id)
        this.emit('change', { peer: id, kind: 'left' })
      } else if (online) this.offline.delete(id)
    }
  }
}

/** The agent's own start flags from its heartbeat's fields (agent/agent-profile.ts), when valid. */
function ownOf(fields: Record<string, unknown>): { own?: OwnFlags } {
  const own = readOwnFlags(fields.own)
  return own ? { own } : {}
}

function changed(a: PresenceMessage, b: PresenceMessage): boolean {
  return (
    a.name !== b.name || a.group !== b.group || a.host !== b.host || a.capacity !== b.capacity || a.running !== b.running ||
    a.version !== b.version || JSON.stringify(a.fields) !== JSON.stringify(b.fields)
  )
}

/** The rows of an agent's own user-mapping file (agent/usermap/user-map-source.ts), when its heartbeat names them. */
function overrideField(fields: Record<string, unknown> | undefined): { userMapOverride?: number } {
  const n = fields?.userMapOverride
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? { userMapOverride: n } : {}
}
