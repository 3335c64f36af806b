import { describe, expect, it } from 'vitest'
import { createCheckQueue } from './check-queue.ts'

describe('check queue', () => {
  it('hands every id over once, in slices of the given size with a bounded number out, counting what waits', async () => {
    const checked: string[][] = []
    const done: string[] = []
    let out = 0
    let mostOut = 0
    const releases: (() => void)[] = []
    const q = createCheckQueue(
      (ids) => {
        checked.push(ids)
        mostOut = Math.max(mostOut, ++out)
        return new Promise<void>((res) => releases.push(() => (out--, res())))
      },
      (ids) => done.push(...ids),
      { slice: 10, inFlight: 2 },
    )
    const ids = Array.from({ length: 45 }, (_, i) => `t-${i}`)
    q.add(ids)
    q.add(['t-3']) // already queued: once
    expect(q.size()).toBe(45)
    // nothing answers for a while: no more than two slices go out
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
    expect(out).toBe(2)
    const deadline = Date.now() + 5000
    while (done.length < 45 && Date.now() < deadline) {
      await new Promise((r) => setImmediate(r))
      releases.shift()?.()
    }
    expect(done).toEqual(ids)
    expect(checked.map((s) => s.length)).toEqual([10, 10, 10, 10, 5])
    expect(mostOut).toBe(2)
    expect(q.size()).toBe(0)
    q.stop()
  })

  it('a failed check still hands its slice over (each task is then checked when read); stop ends the handing over', async () => {
    const done: string[] = []
    const q = createCheckQueue(async () => {
      throw new Error('workers gone')
    }, (ids) => done.push(...ids), { slice: 2 })
    q.add(['a', 'b', 'c'])
    const deadline = Date.now() + 5000
    while (done.length < 3 && Date.now() < deadline) await new Promise((r) => setImmediate(r))
    expect(done).toEqual(['a', 'b', 'c'])
    q.stop()
    q.add(['d'])
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    expect(done).toEqual(['a', 'b', 'c'])
  })
})
