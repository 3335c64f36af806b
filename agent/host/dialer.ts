/**
 * Who we dial, and when. libp2p has no auto-dialer: we dial peers found by mDNS and by peer exchange once
 * (only when not connected and not already dialing, so a pair does not end up with two connections),
 * and keep the --peer addresses connected, redialling with backoff after they drop.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { Host } from './host.ts'

export interface DialerOptions {
  /** --peer addresses */
  peers: string[]
  dialTimeoutMs: number
  /** how often the --peer list is checked */
  checkIntervalMs?: number
  maxBackoffMs?: number
  isBlocked?: (peerId: string) => boolean
}

interface Backoff {
  next: number
  delay: number
}

export class Dialer {
  private readonly dialing = new Set<string>()
  private readonly backoff = new Map<string, Backoff>()
  /** --peer address → the peer id learnt from it (addresses may lack /p2p/) */
  private readonly staticPeers: { addr: Multiaddr; peerId: string | null }[]
  private timer: NodeJS.Timeout | null = null
  private stopped = false
  /**
   * Peers with an open connection, kept from connect/disconnect events: every heartbeat names its sender
   * and, when they changed, its peers, and asking libp2p means stringifying every connection's peer id
   * (O(fleet) base58 encodings per peer named; a visible share of an idle agent's CPU at 30 agents).
   */
  private readonly open = new Set<string>()

  constructor(
    private readonly host: Host,
    private readonly log: Logger,
    private readonly opts: DialerOptions,
  ) {
    this.staticPeers = opts.peers.map((p) => {
      const addr = multiaddr(p)
      return { addr, peerId: addr.getComponents().find((c) => c.name === 'p2p')?.value ?? null }
    })
  }

  start(): void {
    for (const c of this.host.getConnections()) this.open.add(c.remotePeer.toString())
    this.host.addEventListener('peer:connect', (evt) => this.open.add(evt.detail.toString()))
    this.host.addEventListener('peer:disconnect', (evt) => this.open.delete(evt.detail.toString()))
    this.host.addEventListener('peer:discovery', (evt) => {
      const { id, multiaddrs } = evt.detail
      void this.dialPeer(id, multiaddrs)
    })
    const tick = () => {
      if (this.stopped) return
      void this.checkStaticPeers()
      this.timer = setTimeout(tick, this.opts.checkIntervalMs ?? 1000)
    }
    tick()
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
  }

  /** Forget failures, so every known peer is dialled again at once (after a network heals). */
  resetBackoff(): void {
    this.backoff.clear()
    void this.checkStaticPeers()
  }

  connected(peerId: string): boolean {
    if (!this.open.has(peerId)) return false
    return this.host.getConnections(peerIdFromString(peerId)).some((c) => c.status === 'open')
  }

  /** Peer exchange: dial an agent we heard of, if we are not connected to it yet. */
  async dialKnown(peerId: string, addrs: string[]): Promise<void> {
    if (peerId === this.host.peerId.toString() || this.open.has(peerId)) return
    let id: PeerId
    let mas: Multiaddr[]
    try {
      id = peerIdFromString(peerId)
      mas = addrs.map((a) => multiaddr(a))
    } catch {
      return
    }
    await this.dialPeer(id, mas)
  }

  private due(key: string): boolean {
    const b = this.backoff.get(key)
    return !b || Date.now() >= b.next
  }

  private failed(key: string): void {
    const prev = this.backoff.get(key)
    // Capped low: one dial every few seconds costs little, and on a loaded machine (30 agents on 2
    // cores) a few timed-out first dials to the --peer seeds left a late agent alone for 30 s.
    const delay = Math.min(prev ? prev.delay * 2 : 1000, this.opts.maxBackoffMs ?? 8_000)
    this.backoff.set(key, { delay, next: Date.now() + delay })
  }

  private async dialPeer(id: PeerId, addrs: Multiaddr[]): Promise<void> {
    const key = id.toString()
    if (this.stopped || key === this.host.peerId.toString()) return
    if (this.connected(key) || this.dialing.has(key) || !this.due(key) || this.opts.isBlocked?.(key)) return
    this.dialing.add(key)
    try {
      if (addrs.length > 0) await this.host.peerStore.merge(id, { multiaddrs: addrs })
      await this.host.dial(id, { signal: AbortSignal.timeout(this.opts.dialTimeoutMs) })
      this.backoff.delete(key)
    } catch (err) {
      this.log.debug({ peer: key, err: (err as Error).message }, 'dial failed')
      this.failed(key)
    } finally {
      this.dialing.delete(key)
    }
  }

  private async checkStaticPeers(): Promise<void> {
    await Promise.all(
      this.staticPeers.map(async (sp) => {
        const key = sp.addr.toString()
        if (sp.peerId && (this.connected(sp.peerId) || this.opts.isBlocked?.(sp.peerId))) return
        if (this.dialing.has(key) || !this.due(key)) return
        this.dialing.add(key)
        try {
          const conn = await this.host.dial(sp.addr, { signal: AbortSignal.timeout(this.opts.dialTimeoutMs) })
          sp.peerId = conn.remotePeer.toString()
          this.backoff.delete(key)
        } catch (err) {
          this.log.debug({ addr: key, err: (err as Error).message }, 'dial of --peer failed; will retry')
          this.failed(key)
        } finally {
          this.dialing.delete(key)
        }
      }),
    )
  }
}
