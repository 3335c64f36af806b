/**
 * Direct reachability: dial the peer and do a one-byte round trip on the probe protocol. The lease
 * scheduler asks this before a takeover, as missed heartbeats alone are weak evidence.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { byteStream } from '@libp2p/utils'
import { PROBE_PROTOCOL } from '../../protocol/wire.ts'
import type { Host } from './host.ts'

export function registerProbe(host: Host): Promise<void> {
  return host.handle(PROBE_PROTOCOL, async (stream) => {
    const bytes = byteStream(stream, { maxBufferSize: 16 })
    try {
      const b = await bytes.read({ bytes: 1, signal: AbortSignal.timeout(5000) })
      await bytes.write(b.subarray())
      await stream.close()
    } catch {
      stream.abort(new Error('probe failed'))
    }
  })
}

export async function probe(host: Host, peerId: string, timeoutMs: number, isBlocked?: (p: string) => boolean): Promise<boolean> {
  if (isBlocked?.(peerId)) return false
  const signal = AbortSignal.timeout(Math.max(1, timeoutMs))
  try {
    const id = peerIdFromString(peerId)
    const stream = await host.dialProtocol(id, PROBE_PROTOCOL, { signal })
    const bytes = byteStream(stream, { maxBufferSize: 16 })
    const nonce = new Uint8Array([Math.floor(Math.random() * 256)])
    await bytes.write(nonce, { signal })
    const echo = await bytes.read({ bytes: 1, signal })
    await stream.close().catch(() => {})
    return echo.subarray()[0] === nonce[0]
  } catch {
    return false
  }
}
