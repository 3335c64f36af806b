import { describe, expect, it } from 'vitest'
import { LARGE_WRITE_BYTES, createMemoryReleaser } from './release-memory.ts'

describe('memory releaser', () => {
  it('collects garbage once after a large write (a weakly held object is gone), not after small ones', async () => {
    const releaser = createMemoryReleaser({ delayMs: 10, minIntervalMs: 0 })
    let garbage: object | null = { big: new Array(1000).fill('x') }
    const ref = new WeakRef(garbage)
    garbage = null
    releaser.afterWrite(1024) // small: nothing scheduled
    await new Promise((r) => setTimeout(r, 50))
    // (a minor GC may have happened on its own meanwhile; only the large write guarantees a full one)
    releaser.afterWrite(LARGE_WRITE_BYTES)
    await new Promise((r) => setTimeout(r, 100))
    expect(ref.deref()).toBeUndefined()
    releaser.stop()
  })

  it('counts writes since the last collection: parts of a catch-up that add up to a large write', async () => {
    const releaser = createMemoryReleaser({ delayMs: 10, minIntervalMs: 0 })
    let garbage: object | null = { big: new Array(1000).fill('y') }
    const ref = new WeakRef(garbage)
    garbage = null
    for (let i = 0; i < 4; i++) releaser.afterWrite(LARGE_WRITE_BYTES / 4)
    await new Promise((r) => setTimeout(r, 100))
    expect(ref.deref()).toBeUndefined()
    releaser.stop()
  })
})
