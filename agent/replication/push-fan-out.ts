/**
 * Sending a large local change to every connected peer at once (push.ts is one such stream). Apart from
 * the replicator because it keeps its own state: the peers a push is on its way to, during which a
 * differing digest from them means only that the push has not landed yet.
 */
import pLimit from 'p-limit'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger } from 'pino'
import type { Host } from '../host/host.ts'
import { PUSH_PROTOCOL } from '../../protocol/wire.ts'
import { sendPush } from './push.ts'
import { PeerCounts } from './peer-counts.ts'

/** Peers a large change is pushed to at the same time. */
const PUSH_FAN_OUT = 8

export interface PushFanOutDeps {
  host: Pick<Host, 'peerId' | 'getConnections' | 'dialProtocol'>
  isBlocked?: (peerId: string) => boolean
  timeoutMs: number
  stopped(): boolean
  log: Logger
  /** after each part a peer took, with the bytes sent */
  onPushed(bytes: number): void
}

export class PushFanOut {
  /** peers we are pushing a large change to; counted: pushes can overlap */
  private readonly pushingTo = new PeerCounts()

  constructor(private readonly deps: PushFanOutDeps) {}

  /** True while a push of ours to `peer` runs. */
  has(peer: string): boolean {
    return this.pushingTo.has(peer)
  }

  /** Pushes `update` to every connected peer that is not blocked; a failed push is only logged. */
  async send(parts: readonly Uint8Array[]): Promise<void> {
    const { host, timeoutMs } = this.deps
    const self = host.peerId.toString()
    const peers = [...new Set(host.getConnections().map((c) => c.remotePeer.toString()))].filter((p) => p !== self && !this.deps.isBlocked?.(p))
    const limit = pLimit(PUSH_FAN_OUT)
    await Promise.all(peers.map((peer) => limit(async () => {
      if (this.deps.stopped()) return
      this.pushingTo.add(peer)
      try {
        const stream = await host.dialProtocol(peerIdFromString(peer), PUSH_PROTOCOL, { signal: AbortSignal.timeout(timeoutMs) })
        await sendPush(stream, parts, { timeoutMs, onPart: (bytes) => this.deps.onPushed(bytes) })
      } catch (err) {
        this.deps.log.debug({ peer, err: (err as Error).message }, 'push failed; the peer pulls after the digest hint')
      } finally {
        this.pushingTo.delete(peer)
      }
    })))
  }
}
