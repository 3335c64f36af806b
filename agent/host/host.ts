/**
 * The libp2p host: TCP, noise, yamux, identify, gossipsub (StrictSign), optional mDNS, and a private
 * network (pnet) from the fleet key, so agents with another key or none never get a connection.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { mdns } from '@libp2p/mdns'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { preSharedKey } from '@libp2p/pnet'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import { MAX_GOSSIP_MESSAGE } from '../../protocol/wire.ts'
import { installPnetChunking } from './pnet-chunking.ts'
import { FLEET_GOSSIP } from './gossip-options.ts'

export type Host = Libp2p<{ identify: Identify; pubsub: GossipSub }>

export interface HostOptions {
  privateKey: PrivateKey
  psk: Uint8Array
  listen: string[]
  mdns: boolean
  gater?: ConnectionGater
  dialTimeoutMs?: number
  /** mDNS query interval */
  mdnsIntervalMs?: number
}

export async function createHost(opts: HostOptions): Promise<Host> {
  installPnetChunking()
  return createLibp2p({
    privateKey: opts.privateKey,
    addresses: { listen: opts.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionProtector: preSharedKey({ psk: opts.psk, timeout: opts.dialTimeoutMs ?? 5000 }),
    connectionGater: opts.gater ?? {},
    connectionManager: {
      dialTimeout: opts.dialTimeoutMs ?? 5000,
      inboundUpgradeTimeout: opts.dialTimeoutMs ?? 5000,
      maxConnections: 300,
    },
    // libp2p pings every connection and aborts it when a ping is slow. At its defaults (every 10 s,
    // timeout adapting from 5 s) a busy machine lost healthy connections: 30 agents on 2 cores aborted
    // connections mid-run, and each reconnection costs a sync, identify and subscriptions, which loads
    // the machine further. Presence judges liveness, and a lease takeover probes the holder itself, so
    // this only has to find connections that are really dead.
    connectionMonitor: { pingInterval: 30_000, pingTimeout: { minTimeout: 20_000 } },
    peerDiscovery: opts.mdns ? [mdns({ interval: opts.mdnsIntervalMs ?? 5000 })] : [],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        fallbackToFloodsub: false,
        // Replication repairs what gossip drops, but a roomier buffer drops less under bursts.
        maxOutboundBufferSize: 64 * 1024 * 1024,
        maxInboundDataLength: MAX_GOSSIP_MESSAGE * 4 + 64 * 1024,
        ...FLEET_GOSSIP,
      }),
    },
  })
}
