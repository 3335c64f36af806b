import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { makeShare, pushShare, startHarness, type Harness } from './helpers.ts'
import { createPacer } from '../../agent/destinations/sharepoint/pacing.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ seed: 7 })
})
afterAll(async () => {
  await h?.stop()
})

// The full figure (2,000 files) runs in bench/sharepoint.ts --throttle; this is the same shape, smaller.
const FILES = Number(process.env.MMESH_SP_THROTTLE_FILES ?? 200)

describe('SharePoint destination under throttling', () => {
  it(`migrates ${FILES} files with 30% of requests answered 429 (Retry-After 1-3 s, seconds and dates); none fail`, async () => {
    const root = path.join(h.dir, 'throttled')
    await mkdir(root, { recursive: true })
    const files = await makeShare(root, FILES, { size: () => 2048, folders: 3 })
    const throttles: number[] = []
    const pacer = createPacer({ maxInFlight: 16, onThrottle: (u) => throttles.push(u) })
    const dest = h.destination({ folder: 'Throttled', pacer })
    await dest.open(AbortSignal.timeout(60_000))
    h.emu.resetStats()
    h.emu.setFaults({ throttleRate: 0.3, retryAfterSec: [1, 3], retryAfterDateRate: 0.5, rateLimitResetExtraSec: 0 })
    const t0 = Date.now()
    const { failed } = await pushShare(dest, root, files, 48, AbortSignal.timeout(600_000))
    const secs = (Date.now() - t0) / 1000
    h.emu.setFaults({})
    expect(failed.map((f) => String(f.err))).toEqual([])
    expect(h.emu.stats.uploads).toBe(FILES)
    expect(h.emu.stats.throttled).toBeGreaterThan(FILES * 0.3)
    expect(throttles.length).toBe(h.emu.stats.throttled)
    // every retry waited at least what its Retry-After (seconds or date) said
    expect(h.emu.stats.earlyRetries).toBe(0)
    for (const f of files) {
      const meta = h.emu.meta(`/sites/dev/Shared Documents/Throttled/${f.rel}`)
      expect(meta?.length, f.rel).toBe(2048)
      expect(meta?.timeLastModified, f.rel).toBe(f.mtimeMs)
    }
    // No request may come back before its Retry-After: every throttled request waited ≥ 1 s, so the
    // throttled share of requests bounds the run from below.
    expect(secs).toBeGreaterThan(1)
    console.log(`throttle run: ${FILES} files, ${h.emu.stats.requests} requests, ${h.emu.stats.throttled} throttled, ${secs.toFixed(1)} s`)
  }, 600_000)

  it('when one agent is told to wait, another agent holding the fleet backoff waits too', async () => {
    let fleetUntil = 0
    const a = h.destination({ folder: 'FleetA', pacer: createPacer({ maxInFlight: 4, onThrottle: (u) => (fleetUntil = Math.max(fleetUntil, u)) }) })
    const b = h.destination({ folder: 'FleetB', pacer: createPacer({ maxInFlight: 4, fleetBackoff: () => fleetUntil, pauseThresholdMs: 2000 }) })
    const signal = AbortSignal.timeout(60_000)
    await a.open(signal)
    await b.open(signal)
    const root = path.join(h.dir, 'fleet')
    await mkdir(root, { recursive: true })
    const [fa, fb] = await makeShare(root, 2, { folders: 1 })
    h.emu.setFaults({ throttleRate: 1, retryAfterSec: [3, 3], retryAfterDateRate: 0, only: ['upload'] })
    const putA = a.putFile(fa!.rel, { localPath: path.join(root, fa!.rel), size: fa!.bytes.length, mtimeMs: fa!.mtimeMs, birthtimeMs: null, owner: null }, { signal, overwrite: false })
    // wait until A has been told to wait, then lift the fault: only the fleet hold can keep B back now
    const t0 = Date.now()
    while (fleetUntil === 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10))
    h.emu.setFaults({})
    expect(fleetUntil).toBeGreaterThan(Date.now() + 2000)
    const held = fleetUntil
    await b.putFile(fb!.rel, { localPath: path.join(root, fb!.rel), size: fb!.bytes.length, mtimeMs: fb!.mtimeMs, birthtimeMs: null, owner: null }, { signal, overwrite: false })
    expect(Date.now()).toBeGreaterThanOrEqual(held - 5)
    await putA
    expect(h.emu.meta(`/sites/dev/Shared Documents/FleetA/${fa!.rel}`)?.length).toBe(fa!.bytes.length)
    expect(h.emu.meta(`/sites/dev/Shared Documents/FleetB/${fb!.rel}`)?.length).toBe(fb!.bytes.length)
  }, 60_000)
})
