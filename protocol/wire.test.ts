import { describe, expect, it } from 'vitest'
import {
  DIGEST_BYTES, MAX_GOSSIP_MESSAGE, MAX_SYNC_FRAME, SYNC_CHUNK,
  chunkUpdate, decodeGossip, decodeSyncFrame, encodeGossip, encodeSyncFrame,
} from './wire.ts'

describe('sync frames', () => {
  it('round-trip', () => {
    const sv = new Uint8Array([1, 2, 3])
    expect(decodeSyncFrame(encodeSyncFrame({ type: 'stateVector', stateVector: sv }))).toEqual({ ok: true, value: { type: 'stateVector', stateVector: sv } })
    expect(decodeSyncFrame(encodeSyncFrame({ type: 'done', totalBytes: 123456 }))).toEqual({ ok: true, value: { type: 'done', totalBytes: 123456 } })
    const chunk = new Uint8Array([9, 9])
    expect(decodeSyncFrame(encodeSyncFrame({ type: 'updateChunk', chunk }))).toEqual({ ok: true, value: { type: 'updateChunk', chunk } })
  })

  it('reject garbage, unknown types, empty and oversized frames', () => {
    expect(decodeSyncFrame(new Uint8Array([])).ok).toBe(false)
    expect(decodeSyncFrame(new Uint8Array([42, 1, 2])).ok).toBe(false)
    expect(decodeSyncFrame(new Uint8Array([2])).ok).toBe(false)
    expect(decodeSyncFrame(new Uint8Array([3, 1])).ok).toBe(false)
    expect(decodeSyncFrame(new Uint8Array(MAX_SYNC_FRAME + 1).fill(2)).ok).toBe(false)
    expect(() => encodeSyncFrame({ type: 'updateChunk', chunk: new Uint8Array(SYNC_CHUNK + 1) })).toThrow(RangeError)
  })

  it('chunkUpdate splits into frames that reassemble', () => {
    const update = new Uint8Array(2500).map((_, i) => i % 251)
    const frames = [...chunkUpdate(update, 1000)]
    expect(frames).toHaveLength(3)
    const parts = frames.map((f) => {
      const d = decodeSyncFrame(f)
      if (!d.ok || d.value.type !== 'updateChunk') throw new Error('bad')
      return d.value.chunk
    })
    expect(Buffer.concat(parts)).toEqual(Buffer.from(update))
  })
})

describe('gossip messages', () => {
  it('round-trip update and digest', () => {
    const update = new Uint8Array([1, 0, 0])
    expect(decodeGossip(encodeGossip({ type: 'update', update }))).toEqual({ ok: true, value: { type: 'update', update } })
    const digest = new Uint8Array(DIGEST_BYTES).fill(7)
    expect(decodeGossip(encodeGossip({ type: 'digest', digest, hint: true }))).toEqual({ ok: true, value: { type: 'digest', digest, hint: true } })
  })

  it('reject oversized, unknown and malformed messages', () => {
    expect(decodeGossip(new Uint8Array(MAX_GOSSIP_MESSAGE + 1).fill(1))).toMatchObject({ ok: false, reason: expect.stringMatching(/exceeds/) })
    expect(decodeGossip(new Uint8Array([7, 1])).ok).toBe(false)
    expect(decodeGossip(new Uint8Array([2, 1, 2])).ok).toBe(false)
    expect(decodeGossip(new Uint8Array([1])).ok).toBe(false)
    expect(() => encodeGossip({ type: 'digest', digest: new Uint8Array(3), hint: false })).toThrow(RangeError)
  })
})
