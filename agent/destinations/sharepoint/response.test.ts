import { describe, expect, it } from 'vitest'
import { BufferedResponse, RawHeaders } from './response.ts'
import { serverWaitMs } from './pacing.ts'

describe('BufferedResponse', () => {
  const raw = ['Content-Type', 'application/json', 'Retry-After', '3', 'X-Dup', 'a', 'x-dup', 'b']

  it('reads headers as Headers does: any case, repeated values joined, iteration sorted and lower-case', () => {
    const h = new RawHeaders(raw)
    expect([h.get('content-type'), h.get('X-DUP'), h.get('missing'), h.has('RETRY-AFTER'), h.has('nope')]).toEqual(['application/json', 'a, b', null, true, false])
    const real: [string, string][] = []
    new Headers(raw.reduce<[string, string][]>((a, v, i) => (i % 2 ? a : [...a, [v, raw[i + 1]!]]), [])).forEach((v, k) => real.push([k, v]))
    expect([...h]).toEqual(real)
    expect(serverWaitMs(h as unknown as Headers)).toBe(3000)
  })

  it('gives the body once, like fetch, and again through clone()', async () => {
    const r = new BufferedResponse(404, 'Not Found', new RawHeaders(raw), Buffer.from('{"a":1}'), 'https://x/_api/web')
    expect([r.ok, r.status, r.bodyUsed]).toEqual([false, 404, false])
    expect(await r.clone().text()).toBe('{"a":1}')
    expect(await r.json()).toEqual({ a: 1 })
    await expect(r.text()).rejects.toThrow(/already been read/)
    const empty = new BufferedResponse(204, 'No Content', new RawHeaders([]), null, 'https://x')
    expect([empty.ok, empty.body, await empty.text()]).toEqual([true, null, ''])
    const bytes = new BufferedResponse(200, 'OK', new RawHeaders([]), Buffer.from([1, 2, 3]), 'https://x')
    expect(new Uint8Array(await bytes.clone().arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]))
    const chunks: number[] = []
    for await (const c of bytes.body as unknown as AsyncIterable<Uint8Array>) chunks.push(...c)
    expect(chunks).toEqual([1, 2, 3])
  })
})
