import { describe, expect, it } from 'vitest'
import { agentEnabled, agentState, buildAgentList, type PresenceSnapshot } from './agents-view.ts'
import type { AgentRecord, CommandRecord } from './records.ts'

const A = '12D3KooWAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const B = '12D3KooWBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
const cmd = (kind: 'agent.enable' | 'agent.disable', hlc: string, target = A): CommandRecord => ({ v: 1, kind, hlc, by: B, target })

describe('agentEnabled', () => {
  it('is enabled with no commands; the latest HLC wins, whatever the order received', () => {
    expect(agentEnabled([], A)).toBe(true)
    const d = cmd('agent.disable', '000000000000002-000000-x')
    const e = cmd('agent.enable', '000000000000001-000005-x')
    expect(agentEnabled([d, e], A)).toBe(false)
    expect(agentEnabled([e, d], A)).toBe(false)
    expect(agentEnabled([d, cmd('agent.enable', '000000000000002-000001-x')], A)).toBe(true)
  })

  it('ignores commands for other agents and other kinds', () => {
    expect(agentEnabled([cmd('agent.disable', '000000000000009-000000-x', B)], A)).toBe(true)
    expect(agentEnabled([{ v: 1, kind: 'task.pause', hlc: '000000000000009-000000-x', by: B, target: A }], A)).toBe(true)
  })
})

describe('agentState and buildAgentList', () => {
  const live = (silentMs: number | null): PresenceSnapshot => ({ name: 'b', host: 'h', group: 'G', capacity: 3, running: 2, silentMs, intervalMs: 1000, lastSeen: '2026-01-01T00:00:00.000Z' })

  it('online within three heartbeats, else offline; disabled wins; self is online', () => {
    expect(agentState(true, false, live(2500))).toBe('online')
    expect(agentState(true, false, live(3500))).toBe('offline')
    expect(agentState(true, false, undefined)).toBe('offline')
    expect(agentState(false, false, live(0))).toBe('disabled')
    expect(agentState(true, true, undefined)).toBe('online')
  })

  it('lists durable records and presence-only agents, sorted by name', () => {
    const rec: AgentRecord = { v: 1, id: A, name: 'zed', host: 'hz', group: 'Default', firstSeen: '2026-01-01T00:00:00.000Z', version: '1', sig: 'x' }
    const rows = buildAgentList({
      selfId: A,
      records: [rec],
      commands: () => [],
      presence: new Map([[B, live(10)]]),
      nowIso: '2026-02-02T00:00:00.000Z',
    })
    expect(rows).toEqual([
      { id: B, name: 'b', host: 'h', group: 'G', state: 'online', capacity: 3, running: 2, lastSeen: '2026-01-01T00:00:00.000Z', catchingUp: null, waitingReason: null, maxMbps: null, window: null, nextWork: null, override: {} },
      { id: A, name: 'zed', host: 'hz', group: 'Default', state: 'online', capacity: 0, running: 0, lastSeen: '2026-02-02T00:00:00.000Z', catchingUp: null, waitingReason: null, maxMbps: null, window: null, nextWork: null, override: {} },
    ])
  })

  it('says why an online agent claims nothing new (its heartbeat), and nothing for one offline', () => {
    const low = 'low disk: 12 MB free in its data dir, under --min-free-mb 256: claims no new tasks'
    const rows = (silentMs: number) => buildAgentList({ selfId: A, records: [], commands: () => [], presence: new Map([[B, { ...live(silentMs), notClaiming: low }]]), nowIso: '2026-02-02T00:00:00.000Z' })
    expect(rows(10).find((r) => r.id === B)!.waitingReason).toBe(low)
    expect(rows(10_000).find((r) => r.id === B)!.waitingReason).toBeNull()
  })
})
