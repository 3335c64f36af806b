/**
 * A hostile fleet member: a libp2p node built with the agent's own createHost and the fleet's pre-shared
 * key, so it gets through pnet and noise like any agent, then sends whatever it likes. The fuzzer drives
 * it; nothing here knows what is valid.
 */
import fs from 'node:fs'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { PrivateKey, Stream } from '@libp2p/interface'
import { createHost, type Host } from '../../agent/host/host.ts'
import { parseFleetKey } from '../../agent/config/fleet-key.ts'
import { LEDGER_TOPIC, PRESENCE_TOPIC } from '../../protocol/wire.ts'

export class FuzzPeer {
  private constructor(
    readonly host: Host,
    readonly key: PrivateKey,
  ) {}

  static async create(fleetKeyFile: string): Promise<FuzzPeer> {
    const parsed = parseFleetKey(fs.readFileSync(fleetKeyFile, 'utf8'))
    if (!parsed.ok) throw new Error(`fleet key ${fleetKeyFile}: ${parsed.reason}`)
    const key = await generateKeyPair('Ed25519')
    const host = await createHost({ privateKey: key, psk: parsed.psk, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dialTimeoutMs: 5000 })
    await host.start()
    host.services.pubsub.subscribe(LEDGER_TOPIC)
    host.services.pubsub.subscribe(PRESENCE_TOPIC)
    return new FuzzPeer(host, key)
  }

  get peerId(): string {
    return this.host.peerId.toString()
  }

  async connect(addr: string): Promise<void> {
    await this.host.dial(multiaddr(addr), { signal: AbortSignal.timeout(10_000) })
  }

  /** Whether the target has us in its mesh for both topics (messages published before that are lost). */
  subscribedBy(peer: string): boolean {
    const ps = this.host.services.pubsub
    return [LEDGER_TOPIC, PRESENCE_TOPIC].every((t) => ps.getSubscribers(t).some((p) => p.toString() === peer))
  }

  isConnected(peer: string): boolean {
    return this.host.getConnections(peerIdFromString(peer)).length > 0
  }

  async publish(topic: string, data: Uint8Array): Promise<void> {
    await this.host.services.pubsub.publish(topic, data)
  }

  /**
   * Opens a stream of `protocol` to `peer`, sends `raw` chunks as they are (the fuzzer builds the length
   * prefixes itself, so it can lie in them), then closes or resets the stream.
   */
  async rawStream(peer: string, protocol: string, raw: Uint8Array[], end: 'close' | 'abort' | 'linger', lingerMs = 10): Promise<void> {
    let stream: Stream
    try {
      stream = await this.host.dialProtocol(peerIdFromString(peer), protocol, { signal: AbortSignal.timeout(5000) })
    } catch {
      return // refused (too many streams, reset): also an answer
    }
    try {
      for (const chunk of raw) {
        if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(2000) })
      }
      if (end === 'abort') stream.abort(new Error('fuzzer reset'))
      else {
        if (end === 'linger') await new Promise((r) => setTimeout(r, lingerMs))
        await stream.close({ signal: AbortSignal.timeout(500) })
      }
    } catch {
      stream.abort(new Error('fuzzer gave up'))
    }
  }

  async stop(): Promise<void> {
    await this.host.stop()
  }
}

/** unsigned varint, as lpStream writes before each frame */
export function varint(n: number): Uint8Array {
  const out: number[] = []
  let v = n
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return Uint8Array.from(out)
}

export function lp(frame: Uint8Array): Uint8Array {
  const head = varint(frame.byteLength)
  const out = new Uint8Array(head.byteLength + frame.byteLength)
  out.set(head, 0)
  out.set(frame, head.byteLength)
  return out
}
