/**
 * Starts the host on the ports this data dir had last time when it can (peers keep a stale address of
 * ours for a while), on new ones when those are taken; and what to save for next time.
 */
import type { Logger } from 'pino'
import { listenAddresses } from '../config/agent-config.ts'
import { createHost, type Host, type HostOptions } from './host.ts'

export async function startHost(
  opts: Omit<HostOptions, 'listen'> & { wanted?: string[]; saved?: string[]; logger: Logger },
): Promise<{ host: Host; listen: string[] }> {
  const { wanted, saved, logger, ...hostOpts } = opts
  const listen = listenAddresses(wanted && wanted.length > 0 ? wanted : undefined, saved)
  try {
    return { host: await createHost({ ...hostOpts, listen }), listen }
  } catch (err) {
    const fallback = listen.map((a) => a.replace(/\/tcp\/\d+$/, '/tcp/0'))
    if (JSON.stringify(fallback) === JSON.stringify(listen)) throw err
    logger.warn({ listen, err: (err as Error).message }, 'cannot listen on the saved addresses; taking new ports')
    return { host: await createHost({ ...hostOpts, listen: fallback }), listen }
  }
}

/** The listen addresses with the ports they actually got, to be reused on the next start. */
export function boundListen(listen: string[], bound: string[]): string[] {
  return listen.map((addr) => {
    const m = /^\/(ip4|ip6)\/([^/]+)\/tcp\/0$/.exec(addr)
    if (!m) return addr
    const same = bound.find((b) => b.startsWith(`/${m[1]}/${m[2]}/tcp/`)) ?? bound.find((b) => b.startsWith(`/${m[1]}/`))
    const port = same ? /\/tcp\/(\d+)/.exec(same)?.[1] : undefined
    return port ? `/${m[1]}/${m[2]}/tcp/${port}` : addr
  })
}

/** Peers we are connected to and how to reach them (peer exchange in presence heartbeats). */
export async function connectedPeers(host: Host): Promise<{ id: string; addrs: string[] }[]> {
  const out: { id: string; addrs: string[] }[] = []
  const seen = new Set<string>()
  for (const c of host.getConnections()) {
    const id = c.remotePeer.toString()
    if (seen.has(id)) continue
    seen.add(id)
    const rec = await host.peerStore.get(c.remotePeer).catch(() => null)
    const addrs = rec ? rec.addresses.map((a) => a.multiaddr.toString()) : []
    out.push({ id, addrs: addrs.length > 0 ? addrs : [c.remoteAddr.toString()] })
  }
  return out
}
