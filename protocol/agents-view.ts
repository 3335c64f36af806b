/**
 * The agent list (`mmesh agents`): durable agent records + admin commands + locally observed presence,
 * folded by pure functions so every node shows the same enabled/disabled state.
 */
import type { AgentRecord, CommandRecord } from './records.ts'
import { foldAgentEnabled } from './intent.ts'
import { effectiveProfile, foldAgentForgotten, foldAgentOverride, profileWindow, type GroupSettings, type OwnFlags } from './fleet-config.ts'
import type { AgentJson, AgentState } from './views.ts'

/**
 * Whether an agent is enabled: the last agent.enable / agent.disable command aimed at it wins, ordered
 * by HLC string (which sorts like the clock; ties cannot happen as the writer's id is part of it).
 */
export function agentEnabled(commands: readonly CommandRecord[], agentId: string): boolean {
  return foldAgentEnabled(commands.filter((c) => c.target === agentId))
}

export interface PresenceSnapshot {
  name: string
  host: string
  group: string
  capacity: number
  running: number
  /** ms since last heard (monotonic), or null if never heard in this run */
  silentMs: number | null
  /** the agent's heartbeat interval */
  intervalMs: number
  /** wall time of the last heartbeat received, ISO */
  lastSeen: string | null
  /** rows of the agent's own user-mapping file, laid over the fleet's map (absent: none) */
  userMapOverride?: number
  /** why the agent claims no new tasks (its disk guard), from its heartbeat; null: it claims */
  notClaiming?: string | null
  /** the agent's own start flags, as its heartbeat carries them (agents older than this field: absent) */
  own?: OwnFlags
}

/** A peer's words shown to an admin: a string of sane length, or null. */
export function notClaimingText(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v.slice(0, 500) : null
}

/** Heard within three heartbeats (the agent itself is always online). */
export const MISSED_HEARTBEATS_OFFLINE = 3

export function agentState(enabled: boolean, isSelf: boolean, presence: PresenceSnapshot | undefined): AgentState {
  if (!enabled) return 'disabled'
  if (isSelf) return 'online'
  if (presence && presence.silentMs !== null && presence.silentMs <= presence.intervalMs * MISSED_HEARTBEATS_OFFLINE) return 'online'
  return 'offline'
}

/**
 * One row per agent known from the ledger or from presence (a new agent's durable record may not have
 * arrived yet). Sorted by name, then id.
 */
export function buildAgentList(input: {
  selfId: string
  records: readonly AgentRecord[]
  commands: (agentId: string) => readonly CommandRecord[]
  presence: ReadonlyMap<string, PresenceSnapshot>
  /** the fleet's group settings (protocol/fleet-config.ts foldGroups); none: no windows or group limits */
  groups?: ReadonlyMap<string, GroupSettings>
  nowIso: string
  /** records the agent is behind, as it reports (self: as this agent measures); null when caught up */
  catchingUp?: (agentId: string) => number | null
}): AgentJson[] {
  const ids = new Set<string>([...input.records.map((r) => r.id), ...input.presence.keys()])
  const byId = new Map(input.records.map((r) => [r.id, r]))
  const groups = input.groups ?? new Map<string, GroupSettings>()
  const nowMs = Date.parse(input.nowIso)
  const out: AgentJson[] = []
  for (const id of ids) {
    const rec = byId.get(id)
    const live = input.presence.get(id)
    const isSelf = id === input.selfId
    const commands = input.commands(id)
    const enabled = agentEnabled(commands, id)
    const state = agentState(enabled, isSelf, live)
    // Forgotten by an admin: gone from the list until it is heard online again.
    if (state !== 'online' && !isSelf && foldAgentForgotten(commands) && !(live && agentState(true, false, live) === 'online')) continue
    // The override shows at once on every node; the heartbeat catches up when the agent applies it.
    const override = foldAgentOverride(commands)
    const own: OwnFlags = live?.own ?? { group: live?.group ?? rec?.group ?? 'Default', capacity: live?.capacity ?? 0, maxMbps: null, tz: 'UTC' }
    const profile = effectiveProfile(own, override, groups)
    const win = profile.window ? profileWindow(profile, nowMs) : null
    out.push({
      id,
      name: live?.name ?? rec?.name ?? id,
      host: live?.host ?? rec?.host ?? '',
      group: profile.group,
      state,
      capacity: profile.capacity,
      running: live && agentState(true, isSelf, live) === 'online' ? live.running : 0,
      lastSeen: isSelf ? input.nowIso : (live?.lastSeen ?? null),
      catchingUp: catchingUpOf(input.catchingUp?.(id) ?? null),
      ...(live?.userMapOverride !== undefined ? { userMapOverride: live.userMapOverride } : {}),
      waitingReason: live && agentState(enabled, isSelf, live) === 'online' ? (live.notClaiming ?? null) : null,
      maxMbps: profile.maxMbps,
      window: profile.window && win ? { spec: profile.window.text, tz: profile.tz, open: win.open, next: win.next } : null,
      nextWork: win && !win.open ? win.next : null,
      override,
    })
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return out
}

function catchingUpOf(records: number | null): { records: number } | null {
  return records !== null && records > 0 ? { records } : null
}
