import { describe, expect, it } from 'vitest'
import { safeSnapshot } from './safe-snapshot.ts'
import type { FleetSnapshot } from './model.ts'

describe('safeSnapshot', () => {
  it('escapes every string from the fleet and keeps the objects that needed nothing', () => {
    const clean = { id: 't1', name: 'finance', failureReason: null, recentFailures: [{ item: 'a.txt', message: 'ok' }] }
    const evil = { id: 't2', name: 'x\u001b]0;owned\u0007', failureReason: 'bad \u009b2J', recentFailures: [{ item: 'f\u001b[2J.txt', message: 'm' }] }
    const snap = { at: 'now', agents: [{ id: 'a', name: 'vm\u001b[31m', host: 'h' }], tasks: [clean, evil], live: {}, settings: {} } as unknown as FleetSnapshot
    const out = safeSnapshot(snap) as unknown as { tasks: typeof clean[]; agents: { name: string }[] }
    expect(out.tasks[0]).toBe(clean) // unchanged object, same identity
    expect(out.tasks[1]!.name).toBe('x\\x1b]0;owned\\x07')
    expect(out.tasks[1]!.failureReason).toBe('bad \\x9b2J')
    expect(out.tasks[1]!.recentFailures[0]!.item).toBe('f\\x1b[2J.txt')
    expect(out.agents[0]!.name).toBe('vm\\x1b[31m')
    expect(evil.name).toBe('x\u001b]0;owned\u0007') // the source's own objects are not changed
    expect(JSON.stringify(out)).not.toMatch(/\\u001b|\\u0007|\u009b/)
    expect(safeSnapshot(snap)).toBe(out) // remembered
  })
})
