/**
 * What this agent runs with, kept current from the ledger: its own start flags (group, capacity,
 * --max-mbps, its time zone) under the fleet-wide `agent set` override, in its group's settings (work
 * window, bandwidth). The scheduler asks it for the group, the capacity and whether the window is open;
 * the bandwidth limit reads its rate; presence carries the effective group and capacity (what the other
 * agents rank claims with) and the own flags (so every node can show the override next to them).
 */
import type { Ledger } from '../protocol/ledger.ts'
import {
  effectiveProfile, foldAgentOverride, foldGroups, mbpsToBytesPerSecond, profileWindow,
  type AgentProfile, type GroupSettings, type OwnFlags,
} from '../protocol/fleet-config.ts'
import type { WindowState } from '../protocol/work-window.ts'
import type { Presence } from './presence/presence.ts'

export interface ProfileDeps {
  self: string
  own: OwnFlags
  ledger: Pick<Ledger, 'commands' | 'commandsFor' | 'command' | 'onChange'>
  presence: Pick<Presence, 'updateSelf' | 'setField'>
  /** wall clock ms for the work window (tests may drive it through agent/plugins.ts) */
  wallMs?: () => number
  onChange?: (profile: AgentProfile) => void
}

export interface AgentProfileWatch {
  current(): AgentProfile
  groups(): ReadonlyMap<string, GroupSettings>
  /** the work window now: open (or none) and when that changes */
  window(): WindowState
  /** bytes per second of the bandwidth limit in force, null: none */
  bytesPerSecond(): number | null
  stop(): void
}

/** The zone this machine's clock shows, for windows given without --tz. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

export function watchAgentProfile(deps: ProfileDeps): AgentProfileWatch {
  const { ledger, self, presence } = deps
  const wallMs = deps.wallMs ?? (() => Date.now())
  let groups = foldGroups(ledger.commands())
  let profile = effectiveProfile(deps.own, foldAgentOverride(ledger.commandsFor(self)), groups)
  presence.setField('own', deps.own)

  const apply = () => {
    presence.updateSelf({ group: profile.group, capacity: profile.capacity })
    // also in the heartbeat's fields, so other nodes can show the limit and window in force
    presence.setField('maxMbps', profile.maxMbps ?? undefined)
  }
  apply()

  const unsubscribe = ledger.onChange((change) => {
    if (change.map !== 'commands') return
    let relevant = false
    for (const key of change.keys) {
      const c = ledger.command(key)
      if (c && (c.kind === 'group.set' || (c.kind === 'agent.set' && c.target === self))) relevant = true
    }
    if (!relevant) return
    groups = foldGroups(ledger.commands())
    const next = effectiveProfile(deps.own, foldAgentOverride(ledger.commandsFor(self)), groups)
    profile = next
    apply()
    deps.onChange?.(next)
  })

  return {
    current: () => profile,
    groups: () => groups,
    window: () => profileWindow(profile, wallMs()),
    bytesPerSecond: () => (profile.maxMbps === null ? null : mbpsToBytesPerSecond(profile.maxMbps)),
    stop: unsubscribe,
  }
}
