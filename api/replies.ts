/**
 * What the agent answers on its control endpoint, beyond the contract's JSON shapes in protocol/views.ts:
 * types only, shared by the agent (which builds them) and its clients (the CLI, the fleet view).
 */
import type { ImportResult } from '../protocol/import-common.ts'
import type { AgentView, FleetSnapshot, TaskLive, TaskView } from '../protocol/views.ts'
import type { UnresolvedPrincipal } from '../protocol/usermap.ts'

/** One ledger sync with a peer, as `status` reports the last and the largest. */
export interface SyncStat {
  peer: string
  ms: number
  received: number
  sent: number
}

/** Replication counters (since the agent started). */
export interface ReplicationStats {
  published: number
  hinted: number
  pushed: number
  pushesReceived: number
  /** parts of syncs' catch-ups received (a large catch-up comes in parts) */
  syncPartsReceived: number
  applied: number
  rejected: number
  /** syncs that ended well, started by this agent or by the peer */
  syncs: number
  /** of those, the syncs this agent started */
  syncsStarted: number
  syncFailures: number
  storedBytes: number
  /** the last and the largest (by bytes received) of those syncs */
  lastSync: SyncStat | null
  largestSync: SyncStat | null
}

/** `status`: who the agent is, whom it is connected to, and how its ledger and process are doing. */
export interface AgentStatus {
  peerId: string
  name: string
  group: string
  version: string
  /** multiaddrs with /p2p/<peerId> */
  addresses: string[]
  /** peer ids of the agents connected now */
  connections: string[]
  /** records per ledger map */
  sizes: Record<string, number>
  /** the replication digest (hex): equal digests, equal ledgers */
  digest: string
  replication: ReplicationStats
  rss: number
  memory: NodeJS.MemoryUsage
  /** CPU time used since start (user + system), microseconds */
  cpuMicros: number
  pid: number
}

/** `agent.stop`: answered before the agent stops; the client then waits for the endpoint to go away. */
export interface StopReply {
  stopping: true
  pid: number
}

export interface AddTaskReply {
  id: string
  warnings: string[]
}

export interface ImportReply {
  ids: string[]
  warnings: string[]
}

/** `task.importPreview`: the tasks the file would add, or every problem found (nothing is added). */
export type ImportPreviewReply = ImportResult

export interface RerunReply {
  /** the round the task will run next */
  round: number
}

export interface SettingSetReply {
  /** the setting's Migration Manager name (an alias given is resolved to it) */
  key: string
  value: unknown
}

/** `report.write`: the folder, the files written, and what could not be reached. */
export interface ReportWriteResult {
  dir: string
  files: string[]
  warnings: string[]
  tasks: number
  items: number
}

/**
 * `fleet.watch` events: one full snapshot, then deltas (tasks changed or removed since the last event,
 * with agents, live progress and settings in full, as they are small).
 */
export type FleetEvent =
  | { type: 'full'; snapshot: FleetSnapshot }
  | { type: 'delta'; at: string; agents: AgentView[]; live: Record<string, TaskLive>; settings: FleetSnapshot['settings']; tasks: TaskView[]; removed: string[] }

/**
 * `usermap.check`: the source owners and permission principals of a task's last scan that the fleet's user
 * map does not resolve (an owner or user to a user row, a group to a group row).
 */
export interface UsermapCheckReply {
  taskId: string
  /** the round whose scan is checked */
  round: number
  scannedBy: string
  scannedAt: string | null
  /** distinct owners the scan met */
  owners: number
  /** the scan met more owners than an outcome names (OWNERS_MAX) */
  ownersTruncated: boolean
  /** the scan read permission entries (PreserveUserPermissionsForFileShare); false: only owners are checked */
  permissionsRead: boolean
  /** distinct principals of the permission entries read (0 when not read) */
  principals: number
  /** the scan met more principals than an outcome names (PRINCIPALS_MAX) */
  principalsTruncated: boolean
  mapRows: number
  /** owners first, then permission principals */
  unresolved: UnresolvedPrincipal[]
}
