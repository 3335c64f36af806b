/**
 * The agent's bandwidth limit on the SharePoint path: the same token bucket the file:// copy uses
 * (agent/throttle/token-bucket.ts) paces the real @pnp/sp uploads against the emulator, one-request and
 * chunked alike: never more than 15 % above the limit, and no slower than the limit (less 15 %) plus the
 * time the same uploads take unpaced on this machine just before: on a loaded CI box the uploads alone
 * can take seconds, which is no fault of the pacing.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTokenBucket } from '../../agent/throttle/token-bucket.ts'
import { mbpsToBytesPerSecond } from '../../protocol/fleet-config.ts'
import { makeShare, pushShare, startHarness, type Harness } from './helpers.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ seed: 11 })
})
afterAll(async () => {
  await h?.stop()
})

describe('SharePoint uploads under --max-mbps', () => {
  it('holds 20 Mbit/s over one-request and chunked uploads together', async () => {
    const root = path.join(h.dir, 'paced')
    await mkdir(root, { recursive: true })
    // two files of 5 MiB go in 1.25 MiB upload-session chunks, four of 600 KiB in one request each
    const files = await makeShare(root, 6, { size: (i) => (i < 2 ? 5 << 20 : 600 << 10), folders: 1 })
    const bytes = files.reduce((s, f) => s + f.bytes.length, 0)
    const unpacedDest = h.destination({ folder: 'Unpaced', chunkSize: 4 * 320 * 1024 })
    await unpacedDest.open(AbortSignal.timeout(60_000))
    const u0 = performance.now()
    expect((await pushShare(unpacedDest, root, files, 4, AbortSignal.timeout(120_000))).failed).toEqual([])
    const unpacedSeconds = (performance.now() - u0) / 1000
    const throttle = createTokenBucket({ rate: () => mbpsToBytesPerSecond(20) })
    const dest = h.destination({ folder: 'Paced', throttle, chunkSize: 4 * 320 * 1024 })
    await dest.open(AbortSignal.timeout(60_000))
    h.emu.resetStats()
    const t0 = performance.now()
    const { failed } = await pushShare(dest, root, files, 4, AbortSignal.timeout(120_000))
    const seconds = (performance.now() - t0) / 1000
    expect(failed.map((f) => String(f.err))).toEqual([])
    expect(h.emu.stats.uploads).toBe(files.length)
    for (const f of files) expect(h.emu.meta(`/sites/dev/Shared Documents/Paced/${f.rel}`)?.length, f.rel).toBe(f.bytes.length)
    const mbps = (bytes * 8) / seconds / 1e6
    console.log(`SharePoint uploads at --max-mbps 20: ${mbps.toFixed(2)} Mbit/s (${bytes} bytes in ${seconds.toFixed(2)} s; unpaced ${unpacedSeconds.toFixed(2)} s)`)
    expect(mbps).toBeLessThanOrEqual(20 * 1.15)
    expect(seconds).toBeLessThanOrEqual((bytes * 8) / (20 * 0.85 * 1e6) + unpacedSeconds)
  }, 120_000)
})
