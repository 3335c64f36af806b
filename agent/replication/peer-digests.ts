/**
 * The newest anti-entropy digest each peer gossiped. Gossip can hand over a peer's digest seconds late
 * (the IHAVE/IWANT repair path does, to a peer that just connected): an old digest differs from ours for
 * no reason left, and syncing on it pulled a large change that a push was about to bring. So a digest
 * older than the newest seen from its sender (gossipsub's per-sender sequence number) is dropped.
 */
export class PeerDigests {
  private readonly digests = new Map<string, { seq: bigint; digest: Uint8Array }>()

  /** Keeps `digest` as `peer`'s newest; false (and nothing kept) when a newer one was already seen. */
  record(peer: string, seq: bigint, digest: Uint8Array): boolean {
    const newest = this.digests.get(peer)
    if (newest && seq <= newest.seq) return false
    this.digests.set(peer, { seq, digest: digest.slice() })
    return true
  }

  get(peer: string): Uint8Array | undefined {
    return this.digests.get(peer)?.digest
  }
}
