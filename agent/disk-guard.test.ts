import { describe, expect, it } from 'vitest'
import pino from 'pino'
import { createDiskGuard, lowSpaceReason } from './disk-guard.ts'

const MB = 1024 * 1024

describe('disk guard', () => {
  it('says why, with the figure first, only below the floor; 0 turns it off', () => {
    expect(lowSpaceReason(300 * MB, 256)).toBeNull()
    expect(lowSpaceReason(256 * MB, 256)).toBeNull()
    expect(lowSpaceReason(12.7 * MB, 256)).toBe('low disk: 12 MB free in its data dir, under --min-free-mb 256: claims no new tasks until space is freed there (or it is started with a lower --min-free-mb)')
    expect(lowSpaceReason(0, 0)).toBeNull()
  })

  it('follows the free space, tells each change once, and keeps its answer when statfs fails', async () => {
    let free: number | Error = 500 * MB
    const changes: (string | null)[] = []
    const guard = createDiskGuard({
      dataDir: '/data', minFreeMb: 100, logger: pino({ level: 'silent' }), onChange: (r) => changes.push(r),
      statfs: async () => {
        if (free instanceof Error) throw free
        return { bavail: free / 4096, bsize: 4096 }
      },
    })
    await guard.check()
    expect(guard.reason()).toBeNull()
    free = 50 * MB
    await guard.check()
    expect(guard.reason()).toMatch(/^low disk: 50 MB free/)
    await guard.check()
    free = new Error('EIO')
    await guard.check()
    expect(guard.reason()).toMatch(/^low disk: 50 MB free/)
    free = 150 * MB
    await guard.check()
    expect(guard.reason()).toBeNull()
    expect(changes).toEqual([expect.stringMatching(/^low disk: 50 MB/), null])
  })
})
