import { describe, expect, it } from 'vitest'
import { effectiveProfile, foldAgentForgotten, foldAgentOverride, foldGroups, mbpsToBytesPerSecond } from './fleet-config.ts'
import { buildAgentList, type PresenceSnapshot } from './agents-view.ts'
import type { CommandKind, CommandRecord } from './records.ts'

const A = '12D3KooWAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const B = '12D3KooWBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
let n = 0
const cmd = (kind: CommandKind, target: string, value: unknown, ms = ++n): CommandRecord => ({ v: 1, kind, hlc: `${String(ms).padStart(15, '0')}-000000-x`, by: B, target, value })

describe('foldAgentOverride', () => {
  it('takes the latest value per field in clock order; null clears a field, clear drops all', () => {
    const c1 = cmd('agent.set', A, { group: 'Night', capacity: 2 }, 1)
    const c2 = cmd('agent.set', A, { capacity: 7, maxMbps: 20 }, 2)
    expect(foldAgentOverride([c2, c1])).toEqual({ group: 'Night', capacity: 7, maxMbps: 20 })
    expect(foldAgentOverride([c1, c2, cmd('agent.set', A, { capacity: null }, 3)])).toEqual({ group: 'Night', maxMbps: 20 })
    expect(foldAgentOverride([c1, c2, cmd('agent.set', A, { clear: true }, 3)])).toEqual({})
    expect(foldAgentOverride([cmd('agent.set', A, { clear: true }, 0), c1])).toEqual({ group: 'Night', capacity: 2 })
  })

  it('ignores values that do not check out, and other kinds', () => {
    expect(foldAgentOverride([cmd('agent.set', A, { capacity: -1 }), cmd('agent.set', A, { group: '' }), cmd('agent.disable', A, undefined)])).toEqual({})
    expect(foldAgentForgotten([cmd('agent.disable', A, undefined)])).toBe(false)
    expect(foldAgentForgotten([cmd('agent.forget', A, undefined)])).toBe(true)
  })
})

describe('foldGroups and effectiveProfile', () => {
  const groups = foldGroups([
    cmd('group.set', 'Night', { window: 'Mon-Fri 19:00-07:00', tz: 'Europe/Berlin' }, 1),
    cmd('group.set', 'Night', { maxMbps: 50 }, 2),
    cmd('group.set', 'Day', { window: 'Mon-Fry' }, 3), // invalid: ignored
    cmd('group.set', 'Slow', { maxMbps: 10, window: 'Sat' }, 4),
    cmd('group.set', 'Slow', { window: '' }, 5), // cleared
  ])
  it('merges each group field by field', () => {
    expect(groups.get('Night')).toEqual({ name: 'Night', window: 'Mon-Fri 19:00-07:00', tz: 'Europe/Berlin', maxMbps: 50 })
    expect(groups.has('Day')).toBe(false)
    expect(groups.get('Slow')).toEqual({ name: 'Slow', window: null, tz: null, maxMbps: 10 })
  })

  it('own flags are the default, the override wins, the lower of agent and group limit applies', () => {
    const own = { group: 'Default', capacity: 5, maxMbps: 100, tz: 'UTC' }
    const plain = effectiveProfile(own, {}, groups)
    expect([plain.group, plain.capacity, plain.maxMbps, plain.window, plain.tz]).toEqual(['Default', 5, 100, null, 'UTC'])
    const night = effectiveProfile(own, { group: 'Night', capacity: 1 }, groups)
    expect([night.group, night.capacity, night.maxMbps, night.window?.text, night.tz]).toEqual(['Night', 1, 50, 'Mon-Fri 19:00-07:00', 'Europe/Berlin'])
    // 0 lifts the owner's limit; the group's still holds
    expect(effectiveProfile(own, { maxMbps: 0 }, groups).maxMbps).toBeNull()
    expect(effectiveProfile(own, { maxMbps: 0, group: 'Slow' }, groups).maxMbps).toBe(10)
    expect(effectiveProfile({ ...own, maxMbps: 5 }, { group: 'Slow' }, groups).maxMbps).toBe(5)
    expect(mbpsToBytesPerSecond(20)).toBe(2_500_000)
  })
})

describe('buildAgentList with overrides, forgotten agents and windows', () => {
  const snap = (silentMs: number, group = 'Default'): PresenceSnapshot => ({ name: 'b', host: 'h', group, capacity: 3, running: 0, silentMs, intervalMs: 1000, lastSeen: '2026-01-01T00:00:00.000Z', own: { group, capacity: 3, maxMbps: null, tz: 'UTC' } })
  const list = (commands: CommandRecord[], presence: PresenceSnapshot, groups = foldGroups([])) =>
    buildAgentList({ selfId: A, records: [], commands: (id) => commands.filter((c) => c.target === id), presence: new Map([[A, { ...snap(0), name: 'a' }], [B, presence]]), groups, nowIso: '2026-12-08T12:00:00.000Z' })

  it('shows the override at once, and drops a forgotten agent unless it is online', () => {
    const rows = list([cmd('agent.set', B, { group: 'Night', capacity: 9 })], snap(10))
    expect(rows.find((r) => r.id === B)).toMatchObject({ group: 'Night', capacity: 9, override: { group: 'Night', capacity: 9 } })
    const forget = cmd('agent.forget', B, undefined)
    expect(list([forget], snap(60_000)).map((r) => r.id)).toEqual([A])
    expect(list([forget], snap(10)).map((r) => r.id)).toEqual([A, B])
  })

  it('says when an agent outside its window may work next', () => {
    const groups = foldGroups([cmd('group.set', 'Night', { window: 'Mon-Fri 19:00-07:00' })])
    const row = list([], snap(10, 'Night'), groups).find((r) => r.id === B)!
    // 2026-12-08 is a Tuesday: closed at noon, opens at 19:00 in the agent's own zone (UTC)
    expect(row.window).toEqual({ spec: 'Mon-Fri 19:00-07:00', tz: 'UTC', open: false, next: '2026-12-08T19:00:00.000Z' })
    expect(row.nextWork).toBe('2026-12-08T19:00:00.000Z')
  })
})
