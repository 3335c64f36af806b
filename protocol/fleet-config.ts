/**
 * Fleet-wide agent overrides and group settings, folded from signed ledger commands like every other
 * admin intent (protocol/intent.ts), so every replica reaches the same answer:
 *   agent.set    target = agent id   value = { group?, capacity?, maxMbps? } (null clears one field) or { clear: true }
 *   agent.forget target = agent id   hides a long-gone agent from the fleet view until it is heard again
 *   group.set    target = group name value = { window?, tz?, maxMbps? }      (null or '' clears one field)
 * An agent's own start flags are its defaults; an override wins until cleared. A value a peer wrote
 * that does not check out is ignored, as for settings.
 */
import { z } from 'zod'
import { byHlc } from './intent.ts'
import type { CommandRecord } from './records.ts'
import { isTimeZone, parseWindow, windowState, type WindowState, type WorkWindow } from './work-window.ts'

/** Mbit/s; 0 means no limit (so an override can lift an owner's limit). */
export const MAX_MBPS = 100_000
const mbps = z.number().min(0).max(MAX_MBPS)
const groupName = z.string().trim().min(1).max(255)

export const agentSetValueSchema = z.union([
  z.object({ clear: z.literal(true) }),
  z.object({
    group: groupName.nullable().optional(),
    capacity: z.number().int().min(0).max(1000).nullable().optional(),
    maxMbps: mbps.nullable().optional(),
  }),
])
export type AgentSetValue = z.infer<typeof agentSetValueSchema>

export const groupSetValueSchema = z.object({
  window: z.string().max(500).nullable().optional().refine((w) => w === null || w === undefined || w === '' || parseWindow(w).ok, 'not a window'),
  tz: z.string().max(64).nullable().optional().refine((tz) => tz === null || tz === undefined || tz === '' || isTimeZone(tz), 'not a time zone'),
  maxMbps: mbps.nullable().optional(),
})
export type GroupSetValue = z.infer<typeof groupSetValueSchema>

export interface AgentOverride {
  group?: string
  capacity?: number
  maxMbps?: number
}

export interface GroupSettings {
  name: string
  /** the window spec; null: always open */
  window: string | null
  /** IANA zone of the window; null: each agent's own zone */
  tz: string | null
  /** Mbit/s for each agent of the group; null: none */
  maxMbps: number | null
}

/** The latest `agent.set` per field wins; `{clear: true}` drops every field set before it. */
export function foldAgentOverride(commands: readonly CommandRecord[]): AgentOverride {
  let out: AgentOverride = {}
  for (const c of [...commands].sort(byHlc)) {
    if (c.kind !== 'agent.set') continue
    const parsed = agentSetValueSchema.safeParse(c.value)
    if (!parsed.success) continue
    const v = parsed.data
    if ('clear' in v) {
      out = {}
      continue
    }
    for (const key of ['group', 'capacity', 'maxMbps'] as const) {
      if (v[key] === undefined) continue
      if (v[key] === null) delete out[key]
      else (out as Record<string, unknown>)[key] = v[key]
    }
  }
  return out
}

/** Forgotten: an `agent.forget` was issued for it (shown again whenever it is heard online). */
export function foldAgentForgotten(commands: readonly CommandRecord[]): boolean {
  return commands.some((c) => c.kind === 'agent.forget')
}

/** Every group's settings, from all commands: the latest `group.set` per group and field wins. */
export function foldGroups(commands: readonly CommandRecord[]): Map<string, GroupSettings> {
  const out = new Map<string, GroupSettings>()
  for (const c of [...commands].sort(byHlc)) {
    if (c.kind !== 'group.set') continue
    const parsed = groupSetValueSchema.safeParse(c.value)
    if (!parsed.success) continue
    const g = out.get(c.target) ?? { name: c.target, window: null, tz: null, maxMbps: null }
    for (const key of ['window', 'tz', 'maxMbps'] as const) {
      const v = parsed.data[key]
      if (v !== undefined) (g as unknown as Record<string, unknown>)[key] = v === '' ? null : v
    }
    out.set(c.target, g)
  }
  return out
}

export interface OwnFlags {
  group: string
  capacity: number
  /** `mmesh start --max-mbps`; null: none */
  maxMbps: number | null
  /** the agent's own IANA zone, for windows set without --tz */
  tz: string
}

/** An agent's own flags as its heartbeat carries them (field `own`), so any node can fold its profile. */
export const ownFlagsSchema = z.object({
  group: groupName,
  capacity: z.number().int().min(0).max(10_000),
  maxMbps: mbps.nullable(),
  tz: z.string().max(64).refine(isTimeZone, 'not a time zone'),
})

export function readOwnFlags(raw: unknown): OwnFlags | undefined {
  const r = ownFlagsSchema.safeParse(raw)
  return r.success ? r.data : undefined
}

export interface AgentProfile {
  group: string
  capacity: number
  /** the limit in force, Mbit/s: the agent's (override, else own flag) and its group's, the lower; null: none */
  maxMbps: number | null
  window: WorkWindow | null
  tz: string
  /** fields the fleet-wide override sets */
  override: AgentOverride
}

const limit = (m: number | null | undefined): number | null => (m === null || m === undefined || m <= 0 ? null : m)

/** What an agent runs with: its own flags, under the fleet's override, in its group's settings. */
export function effectiveProfile(own: OwnFlags, override: AgentOverride, groups: ReadonlyMap<string, GroupSettings>): AgentProfile {
  const group = override.group ?? own.group
  const g = groups.get(group)
  const agentLimit = limit(override.maxMbps !== undefined ? override.maxMbps : own.maxMbps)
  const groupLimit = limit(g?.maxMbps)
  const maxMbps = agentLimit === null ? groupLimit : groupLimit === null ? agentLimit : Math.min(agentLimit, groupLimit)
  const parsed = g?.window ? parseWindow(g.window) : null
  return {
    group,
    capacity: override.capacity ?? own.capacity,
    maxMbps,
    window: parsed?.ok ? parsed.value : null,
    tz: g?.tz ?? own.tz,
    override,
  }
}

/** Whether the agent may start work at `ms`, and when that changes. */
export function profileWindow(p: Pick<AgentProfile, 'window' | 'tz'>, ms: number): WindowState {
  return windowState(p.window, p.tz, ms)
}

/** Mbit/s to bytes per second (1 Mbit = 10^6 bits, as network links are rated). */
export function mbpsToBytesPerSecond(m: number): number {
  return (m * 1_000_000) / 8
}
