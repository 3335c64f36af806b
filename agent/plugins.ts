/**
 * What a caller of the composition root (agent.ts) can plug into an agent. Production passes nothing;
 * the tests' agent entry (test/support/test-agent.ts) passes its hooks here: a connection gate that
 * splits fleets, `test.*` control methods, slowed and counted destinations, a work log, a stalling scan
 * worker. Keeping them behind this one door keeps test code out of the agent's own modules.
 */
import type { ConnectionGater } from '@libp2p/interface'
import type { Ledger, RecordSigner } from '../protocol/ledger.ts'
import type { ControlServer } from './control/server.ts'
import type { Destination } from './engine/destination.ts'
import type { Host } from './host/host.ts'
import type { Dialer } from './host/dialer.ts'
import type { Replicator } from './replication/replicator.ts'
import type { WorkEvent } from './scheduler/types.ts'

/**
 * Refuses peers at every layer: connections (the gater) and the paths that see a peer id without one
 * (gossip, presence, probes).
 */
export interface PeerGate {
  gater: ConnectionGater
  isBlocked(peerId: string): boolean
  /** refuses a peer's ledger replication only (sync, push, ledger gossip); presence still flows */
  isLedgerBlocked?(peerId: string): boolean
}

/** The agent's parts a plugin may use, by name (js-libp2p's "components"). */
export interface AgentComponents {
  peerId: string
  dataDir: string
  control: ControlServer
  host: Host
  ledger: Ledger
  /** this agent's record signer (test support writes records as the agent would) */
  signer: RecordSigner
  replicator: Replicator
  dialer: Dialer
  /** resolves once every change so far is stored */
  flush(): Promise<void>
  /** sets (undefined: removes) a field of this agent's heartbeat, as a service would (a peer can send any) */
  setPresenceField(key: string, value: unknown): void
}

/** Hooks into the services above the core (scheduler and engine). */
export interface ServiceHooks {
  /** wraps each task's destination */
  wrapDestination?: (dest: Destination, taskId: string) => Destination
  /** told when work on a task starts and stops on this agent */
  onWork?: (event: WorkEvent) => void
  /** the scan worker script instead of the engine's own */
  scanWorker?: URL
}

export interface AgentPlugins {
  peerGate?: PeerGate
  /** host, ledger, replication, presence and control only: no scheduler, engine, tasks or reports */
  coreOnly?: boolean
  /**
   * Called once the core is up and before the control endpoint listens: may add control methods, and
   * returns hooks for the services.
   */
  attach?: (components: AgentComponents) => ServiceHooks | void
}
