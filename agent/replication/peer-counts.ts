/**
 * A multiset of peer ids: a peer stays marked while any of its overlapping operations (pushes to it or
 * from it) runs. A plain Set lost the mark when the first of two overlapping pushes ended.
 */
export class PeerCounts {
  private readonly counts = new Map<string, number>()

  add(peer: string): void {
    this.counts.set(peer, (this.counts.get(peer) ?? 0) + 1)
  }

  delete(peer: string): void {
    const n = (this.counts.get(peer) ?? 0) - 1
    if (n > 0) this.counts.set(peer, n)
    else this.counts.delete(peer)
  }

  has(peer: string): boolean {
    return this.counts.has(peer)
  }

  get size(): number {
    return this.counts.size
  }
}
