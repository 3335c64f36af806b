/**
 * The SharePoint destination's HTTP step (node:https on keep-alive sockets, answers as BufferedResponse)
 * against the emulator: connections reused, two requests per small file, gzip answers decoded, and
 * timeouts and aborts failing the way fetch's do (the error mapping above depends on it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { makeShare, pushShare, startHarness, type Harness } from './helpers.ts'
import { httpsTransport } from '../../agent/destinations/sharepoint/transport.ts'
import { toDestinationError } from '../../agent/destinations/sharepoint/errors.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.stop()
})

describe('SharePoint transport', () => {
  // retry and a longer bound: once, on a loaded CI machine, this did not finish within 60 s (cause not found;
  // see the closing note of 2026-11-30). A consistent failure still fails.
  it('reuses connections and sends one upload and one date update per small file', { retry: 1, timeout: 120_000 }, async () => {
    const root = path.join(h.dir, 'reuse')
    await mkdir(root, { recursive: true })
    const files = await makeShare(root, 60, { folders: 1 })
    const dest = h.destination({ folder: 'Reuse', maxInFlight: 4 })
    await dest.open(AbortSignal.timeout(60_000))
    h.emu.resetStats()
    const { failed } = await pushShare(dest, root, files, 8)
    expect(failed).toEqual([])
    const k = h.emu.stats.byKind
    expect({ upload: k.upload, validateUpdate: k.validateUpdate, listItem: k.listItem ?? 0, requests: h.emu.stats.requests }).toEqual({ upload: 60, validateUpdate: 60, listItem: 0, requests: 120 })
    // at most one TLS connection per request in flight, not one per request
    expect(h.emu.stats.connections).toBeLessThanOrEqual(4)
    expect(h.emu.stats.maxInFlight).toBeLessThanOrEqual(4)
  })

  it('decodes gzip answers: a large listing arrives compressed and lists every file', async () => {
    const root = path.join(h.dir, 'gz')
    await mkdir(root, { recursive: true })
    const files = await makeShare(root, 80, { folders: 1, size: () => 10 })
    const dest = h.destination({ folder: 'Gz' })
    const signal = AbortSignal.timeout(60_000)
    await dest.open(signal)
    expect((await pushShare(dest, root, files)).failed).toEqual([])
    const before = h.emu.stats.gzipped
    const got = await dest.list('', signal)
    expect(h.emu.stats.gzipped).toBeGreaterThan(before)
    expect([...got!.keys()].sort()).toEqual(files.map((f) => f.rel).sort())
    expect(got!.get(files[0]!.rel)).toMatchObject({ size: 10, mtimeMs: files[0]!.mtimeMs, writtenByThisApp: true })
  })

  it('times out as a TimeoutError (DEST_TIMEOUT) and aborts with the signal\'s reason', async () => {
    h.emu.setFaults({ latencyMs: 400 })
    try {
      const url = `${h.emu.sites.dev}/_api/web/regionalsettings`
      const timedOut = await httpsTransport(url, { method: 'GET', headers: { Accept: 'application/json' } }, 100).catch((e: unknown) => e)
      expect((timedOut as Error).name).toBe('TimeoutError')
      expect(toDestinationError(timedOut, { siteUrl: h.emu.sites.dev, library: 'Documents', what: 'x' }).code).toBe('DEST_TIMEOUT')
      const ac = new AbortController()
      setTimeout(() => ac.abort(new Error('stopped by the test')), 50)
      const aborted = await httpsTransport(url, { method: 'GET', signal: ac.signal }, 10_000).catch((e: unknown) => e)
      expect((aborted as Error).message).toBe('stopped by the test')
    } finally {
      h.emu.setFaults({})
    }
    // an answer (401 without a token) reads like a fetch Response: status, headers, a body readable after clone()
    const r = await httpsTransport(`${h.emu.sites.dev}/_api/web`, { method: 'GET' }, 10_000)
    expect([r.status, r.ok, r.headers.get('Content-Type')?.startsWith('application/json')]).toEqual([401, false, true])
    expect(await r.clone().text()).toContain('error_description')
    expect(JSON.parse(await r.text())).toHaveProperty('error_description')
  })

  it('a refused connection is a "fetch failed" TypeError with the cause, mapped to UNREACHABLE', async () => {
    const err = await httpsTransport('https://127.0.0.1:9/sites/dev/_api/web', { method: 'GET' }, 5_000).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TypeError)
    expect((err as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED')
    expect(toDestinationError(err, { siteUrl: 'https://127.0.0.1:9/sites/dev', library: 'Documents', what: 'x' }).code).toBe('UNREACHABLE')
  })
})
