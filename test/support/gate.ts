/**
 * A test-only connection gate (the test agent's peerGate plugin): tests split a fleet by blocking peer
 * ids. Blocked peers are refused on every path (dial, inbound, after encryption) and existing connections
 * are closed (test.block).
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'

export class TestGate {
  readonly blocked = new Set<string>()
  /** Blocks every peer until unblocked (MMESH_TEST_ISOLATED=1 at start: read what was restored, alone). */
  blockAll = false
  /** Connected, heartbeats flowing, but no ledger replication with anyone until unblocked (MMESH_TEST_LEDGER_HELD=1). */
  ledgerHeld = false
  /** called after peers were unblocked (the agent redials at once) */
  onUnblock: () => void = () => {}

  gater(): ConnectionGater {
    const denied = (peer: PeerId) => this.isBlocked(peer.toString())
    return {
      denyDialPeer: denied,
      denyInboundEncryptedConnection: denied,
      denyOutboundEncryptedConnection: denied,
      denyInboundUpgradedConnection: denied,
      denyOutboundUpgradedConnection: denied,
    }
  }

  isBlocked(peer: string): boolean {
    return this.blockAll || this.blocked.has(peer)
  }
}
