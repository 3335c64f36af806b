import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { claimBeats, claimDelayMs, claimRank, currentHolder, holderExpired, nextEpoch, stillWins, winningClaim } from './lease.ts'
import type { ClaimRecord } from './records.ts'
import { rendezvousScore } from './rendezvous.ts'
import { TestKeyring, fakeAgentId, makeReplica, seededRandom, syncAll } from '../test/fixtures/ledger-replicas.ts'

const A = fakeAgentId(1)
const B = fakeAgentId(2)
const C = fakeAgentId(3)

function claim(agent: string, epoch: number, round = 0, released = false, taskId = 'task-1'): ClaimRecord {
  return { v: 1, taskId, agent, epoch, round, at: '2026-01-01T00:00:00.000Z', released, sig: 'x' }
}

describe('winningClaim', () => {
  it('prefers the higher epoch whatever the rendezvous score', () => {
    const low = claim(A, 1)
    const high = claim(B, 2)
    expect(winningClaim([low, high])).toBe(high)
    expect(winningClaim([high, low])).toBe(high)
  })

  it('breaks an epoch tie by rendezvous score, the same in any order', () => {
    const a = claim(A, 3)
    const b = claim(B, 3)
    const c = claim(C, 3)
    const scores = [a, b, c].map((x) => ({ x, s: rendezvousScore('task-1', x.agent) })).sort((p, q) => (p.s > q.s ? -1 : 1))
    const expected = scores[0]!.x
    for (const order of [[a, b, c], [c, b, a], [b, a, c], [c, a, b]]) expect(winningClaim(order)).toBe(expected)
  })

  it('claimBeats is a strict order: never both ways', () => {
    const pairs = [[claim(A, 1), claim(B, 1)], [claim(A, 2), claim(B, 1)], [claim(C, 5), claim(A, 5)]] as const
    for (const [x, y] of pairs) expect(claimBeats(x, y) !== claimBeats(y, x)).toBe(true)
  })
})

describe('currentHolder', () => {
  it('is free when the winning claim is released or for another round', () => {
    expect(currentHolder([claim(A, 1, 0, true)], 0)).toBeUndefined()
    expect(currentHolder([claim(A, 1, 0)], 1)).toBeUndefined()
    expect(currentHolder([claim(A, 1, 0)], 0)?.agent).toBe(A)
  })

  it('a released claim at a lower epoch does not hide a live higher one, and a stale lower claim never wins back', () => {
    expect(currentHolder([claim(A, 1, 0, false), claim(B, 2, 0, true)], 0)).toBeUndefined()
    expect(currentHolder([claim(A, 1, 0, true), claim(B, 2, 0, false)], 0)?.agent).toBe(B)
  })

  it('nextEpoch is above every epoch seen, released or not', () => {
    expect(nextEpoch([])).toBe(1)
    expect(nextEpoch([claim(A, 4, 0, true), claim(B, 2)])).toBe(5)
  })

  it('stillWins only for the exact holder and epoch', () => {
    const cl = [claim(A, 2), claim(B, 1)]
    expect(stillWins(cl, A, 2, 0)).toBe(true)
    expect(stillWins(cl, A, 1, 0)).toBe(false)
    expect(stillWins(cl, B, 1, 0)).toBe(false)
  })
})

describe('holderExpired', () => {
  it('needs TTL of silence measured locally', () => {
    expect(holderExpired({ silentForMs: 29_999, claimSeenForMs: 60_000 }, 30_000)).toBe(false)
    expect(holderExpired({ silentForMs: 30_000, claimSeenForMs: 60_000 }, 30_000)).toBe(true)
  })
  it('gives a holder never heard the TTL from when its claim was first seen', () => {
    expect(holderExpired({ silentForMs: undefined, claimSeenForMs: 10_000 }, 30_000)).toBe(false)
    expect(holderExpired({ silentForMs: undefined, claimSeenForMs: 30_000 }, 30_000)).toBe(true)
  })
  it('does not expire a claim seen just now even if the holder was silent for long (it just came back)', () => {
    expect(holderExpired({ silentForMs: 100_000, claimSeenForMs: 1_000 }, 30_000)).toBe(false)
  })
})

describe('claimRank', () => {
  it('puts freer agents first and is -1 for a full or absent agent', () => {
    const cands = [
      { agent: A, running: 2, capacity: 2 },
      { agent: B, running: 0, capacity: 2 },
      { agent: C, running: 1, capacity: 2 },
    ]
    expect(claimRank('t', A, cands)).toBe(-1)
    expect(claimRank('t', B, cands)).toBe(0)
    expect(claimRank('t', C, cands)).toBe(1)
    expect(claimRank('t', 'nobody', cands)).toBe(-1)
  })

  it('spreads tasks among equally free agents roughly evenly', () => {
    const agents = [A, B, C, fakeAgentId(4)]
    const firsts = new Map<string, number>()
    for (let i = 0; i < 4000; i++) {
      const cands = agents.map((agent) => ({ agent, running: 0, capacity: 5 }))
      const first = agents.find((a) => claimRank(`task-${i}`, a, cands) === 0)!
      firsts.set(first, (firsts.get(first) ?? 0) + 1)
    }
    for (const a of agents) expect(firsts.get(a)).toBeGreaterThan(850)
  })

  it('delays claims by rank', () => {
    expect(claimDelayMs(0, 300)).toBe(0)
    expect(claimDelayMs(2, 300)).toBe(600)
  })
})

describe('replicas replaying random interleavings of claims', () => {
  // Several replicas claim, release and take over the same tasks while updates reach each other in a
  // random order and at random times. Whatever the interleaving, once they have exchanged everything
  // they agree on the holder of every task, and for each epoch there is exactly one winner.
  for (let seed = 1; seed <= 40; seed++) {
    it(`seed ${seed}: all replicas agree on one holder per task and epoch`, () => {
      const rand = seededRandom(seed)
      const keyring = new TestKeyring()
      const agents = [1, 2, 3, 4].map(fakeAgentId)
      const replicas = agents.map((_, i) => makeReplica(100 + i, keyring))
      const signers = agents.map((a) => keyring.signer(a))
      const tasks = ['task-a', 'task-b', 'task-c']
      const pending: { to: number; update: Uint8Array }[] = []
      replicas.forEach((r, i) =>
        r.doc.on('update', (u: Uint8Array, origin: unknown) => {
          if (origin === 'remote') return
          for (let j = 0; j < replicas.length; j++) if (j !== i) pending.push({ to: j, update: u })
        }),
      )
      for (let step = 0; step < 60; step++) {
        // deliver some pending updates in random order
        const deliveries = Math.floor(rand() * 4)
        for (let d = 0; d < deliveries && pending.length > 0; d++) {
          const k = Math.floor(rand() * pending.length)
          const [m] = pending.splice(k, 1)
          Y.applyUpdate(replicas[m!.to]!.doc, m!.update, 'remote')
        }
        const i = Math.floor(rand() * agents.length)
        const r = replicas[i]!
        const taskId = tasks[Math.floor(rand() * tasks.length)]!
        const claims = r.ledger.claimsFor(taskId)
        const mine = claims.find((c) => c.agent === agents[i])
        const roll = rand()
        if (roll < 0.6) {
          // claim (or take over) with an epoch above everything this replica has seen
          r.ledger.putClaim(signers[i]!, { taskId, agent: agents[i]!, epoch: nextEpoch(claims), round: 0, at: new Date(step * 1000).toISOString(), released: false })
        } else if (mine && roll < 0.8) {
          r.ledger.putClaim(signers[i]!, { ...mine, released: true, at: new Date(step * 1000).toISOString() })
        }
      }
      for (const m of pending.splice(0)) Y.applyUpdate(replicas[m.to]!.doc, m.update, 'remote')
      syncAll(replicas)
      for (const taskId of tasks) {
        const views = replicas.map((r) => {
          const w = winningClaim(r.ledger.claimsFor(taskId))
          const h = currentHolder(r.ledger.claimsFor(taskId), 0)
          return JSON.stringify([w?.agent, w?.epoch, h?.agent ?? null])
        })
        expect(new Set(views).size).toBe(1)
        // one winner per epoch: among the claims at the top epoch, exactly one beats all others
        const claims = replicas[0]!.ledger.claimsFor(taskId)
        const top = Math.max(0, ...claims.map((c) => c.epoch))
        const atTop = claims.filter((c) => c.epoch === top)
        const winners = atTop.filter((c) => atTop.every((o) => o === c || claimBeats(c, o)))
        if (atTop.length > 0) expect(winners).toHaveLength(1)
      }
      for (const r of replicas) expect(r.invalid).toEqual([])
    })
  }
})

describe('claimRank against a full sort', () => {
  // claimRank counts who orders before self instead of sorting every candidate (one score each): it must
  // give the position the sorted order gives, buckets, scores and ties included.
  function sortedRank(taskId: string, self: string, candidates: { agent: string; running: number; capacity: number }[]): number {
    const free = (c: { running: number; capacity: number }) => ((c.capacity - c.running) / c.capacity > 0.5 ? 1 : 0)
    return candidates
      .filter((c) => c.capacity - c.running > 0)
      .sort((a, b) => free(b) - free(a) || (rendezvousScore(taskId, b.agent) - rendezvousScore(taskId, a.agent)) || (a.agent < b.agent ? -1 : 1))
      .findIndex((c) => c.agent === self)
  }

  it('gives the same rank for random fleets and loads', () => {
    let seed = 7
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n)
    let checked = 0
    for (let i = 0; i < 300; i++) {
      const agents = Array.from({ length: 1 + rnd(30) }, (_, k) => fakeAgentId(k + 1))
      const cands = agents.map((agent) => {
        const capacity = 1 + rnd(6)
        return { agent, capacity, running: rnd(capacity + 1) }
      })
      for (const a of [...agents, 'nobody']) {
        expect(claimRank(`task-${i}`, a, cands)).toBe(sortedRank(`task-${i}`, a, cands))
        checked++
      }
    }
    expect(checked).toBeGreaterThan(300)
  })
})
