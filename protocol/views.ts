/**
 * The shapes the outside sees (CONTRACT.md "JSON shapes"), plus what the fleet view and reports need.
 * Built from the ledger by pure functions (status.ts) and from presence by the node.
 */
import type { ByteCounts, Counts, Destination } from './records.ts'
import type { Settings } from './settings.ts'
import type { Assessment } from './assessment.ts'

export const TASK_STATUSES = ['scheduled', 'queued', 'scanning', 'in-progress', 'paused', 'completed', 'failed', 'cancelled'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

/** `task list --json` / `task show --json`: exactly the contract's fields. */
export interface TaskJson {
  id: string
  name: string
  source: string
  destination: Destination
  group: string
  status: TaskStatus
  agent: string | null
  round: number
  counts: Counts
  bytes: ByteCounts
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  failureReason: string | null
  waitingReason: string | null
  /** archived (`task archive`): left out of `task list` and the fleet view unless asked for; kept in reports */
  archived: boolean
  /** Migration Manager's tags: exact, case-sensitive labels (`--tag`, the tags CSV) */
  tags: string[]
  /** Run later (`--start-at`): no agent starts it before this time; null: at once */
  startAt: string | null
  /**
   * `task show --json` only: seconds left by the measured rate (protocol/time-left.ts); null: unknown (not
   * running, still scanning, nothing measured yet); 0 once completed
   */
  estimatedSecondsLeft?: number | null
  /** true while the holder's walk still finds items: the estimate covers what it found (at least this long) */
  estimateIsLowerBound?: boolean
}

export interface TimelineEntry {
  at: string
  what: string
}

/** What the node knows of a task beyond the contract's JSON: for `task show`, the fleet view and reports. */
export interface TaskView extends TaskJson {
  /** Epoch of the winning claim of the current round (0 when unclaimed). */
  epoch: number
  /** Settings in force for this task (global defaults under the task's own overrides). */
  settings: Settings
  /** Which settings the task overrides. */
  overrides: Partial<Settings>
  timeline: TimelineEntry[]
  /** Agents known to hold copies of the item results, per round (writer first). */
  itemHolders: Record<number, string[]>
  /** What the latest scan of the source measured (Migration Manager's Scans columns); null before any scan ended. */
  assessment?: Assessment | null
  /** The latest failed items of the current round with their messages (newest first), when known. */
  recentFailures?: { item: string; message: string }[]
}

export type AgentState = 'online' | 'offline' | 'disabled'

/** `agents --json` */
export interface AgentJson {
  id: string
  name: string
  host: string
  group: string
  state: AgentState
  capacity: number
  running: number
  lastSeen: string | null
  /**
   * How many ledger records this agent is behind (received but not checked yet, or held by peers and not
   * here yet), as it reports itself; null when caught up (or an agent too old to say).
   */
  catchingUp: { records: number } | null
  /** rows of the agent's own DIR/user-mapping.csv laid over the fleet's user map; absent when it has none */
  userMapOverride?: number
  /** why this online agent claims no new tasks (low disk space in its data dir), or null (always set by the agent list) */
  waitingReason?: string | null
  // The four below are always filled by buildAgentList (protocol/agents-view.ts); optional so views and
  // fixtures written before them still type-check.
  /** the bandwidth limit in force, Mbit/s (the agent's and its group's, the lower); null: none */
  maxMbps?: number | null
  /** its group's work window; null: it may work at any time */
  window?: { spec: string; tz: string; open: boolean; next: string | null } | null
  /** when it may start work next: null now (no window, or the window is open), else the ISO time it opens */
  nextWork?: string | null
  /** what a fleet-wide `agent set` overrides of its own flags */
  override?: { group?: string; capacity?: number; maxMbps?: number }
}

/** Live numbers from presence (never in the ledger). */
export interface AgentLive {
  /** bytes per second over the last few seconds */
  throughput: number
  /** recent throughput samples, oldest first, one per heartbeat */
  history: number[]
  version: string
  /** until when (ISO) this agent was told by SharePoint to hold back; the fleet backs off together */
  backoffUntil: string | null
}

export interface AgentView extends AgentJson {
  live: AgentLive | null
  enabled: boolean
  firstSeen: string | null
}

export interface TaskLive {
  taskId: string
  agent: string
  throughput: number
  bytesDone: number
  filesDone: number
  /** the holder's phase and totals so far (the ledger hears of them only at a checkpoint, every 30 s) */
  phase?: string
  bytesTotal?: number
  filesTotal?: number
  /** false while the holder's walk still finds items (the totals still grow); absent from older agents */
  walked?: boolean
}

/** Everything the fleet view renders. The node builds it; tui/ only reads it. */
export interface FleetSnapshot {
  self: string
  at: string
  agents: AgentView[]
  tasks: TaskView[]
  live: Record<string, TaskLive>
  settings: Settings
}
