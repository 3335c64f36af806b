/**
 * Wire codecs of the agent core: the frames of the direct sync stream and the messages on the fleet
 * (ledger) gossip topic. Pure functions over bytes; every decoder returns a tagged result instead of
 * throwing, because every input comes from a peer and is untrusted.
 *
 * A frame is one type byte followed by its payload. Sizes are bounded here so a peer cannot make an
 * agent buffer without limit.
 */

/** Direct sync stream (y-protocols style step 1 / step 2, chunked). */
export const SYNC_PROTOCOL = '/mmesh/sync/1.0.0'
/**
 * One-way push of a local change too big to gossip, from its writer to each connected peer: the same
 * update chunk frames and `done` as a sync catch-up, nothing else.
 */
export const PUSH_PROTOCOL = '/mmesh/push/1.0.0'
/**
 * A sync's catch-up too large for one update (agent/replication/diff-parts.ts), sent by the side that has
 * it as a series of parts on a stream of its own, framed and acknowledged as a push, while the sync
 * stream waits; its `done` then carries no update. An agent without this protocol gets one update.
 */
export const SYNC_PARTS_PROTOCOL = '/mmesh/sync-parts/1.0.0'
/** Direct reachability check used before a lease takeover. */
export const PROBE_PROTOCOL = '/mmesh/probe/1.0.0'
/** Gossip topics; the version suffix lets a future format live beside this one. */
export const LEDGER_TOPIC = 'mmesh/ledger/1'
export const PRESENCE_TOPIC = 'mmesh/presence/1'

/** Largest single frame on the sync stream (a chunk of a catch-up update plus its type byte). */
export const MAX_SYNC_FRAME = 1024 * 1024 + 16
/** Payload bytes per update chunk on the sync stream. */
export const SYNC_CHUNK = 1024 * 1024
/** Largest catch-up one sync may deliver (a 100,000-task ledger is a few tens of MB). */
export const MAX_SYNC_TOTAL = 512 * 1024 * 1024
/** Largest message on the ledger topic: gossip stays small; bigger updates are repaired by digest + sync. */
export const MAX_GOSSIP_MESSAGE = 256 * 1024
/** Largest presence message. */
export const MAX_PRESENCE_MESSAGE = 64 * 1024

export const SyncFrameType = { stateVector: 1, updateChunk: 2, done: 3 } as const
export type SyncFrame =
  | { type: 'stateVector'; stateVector: Uint8Array }
  | { type: 'updateChunk'; chunk: Uint8Array }
  | { type: 'done'; totalBytes: number }

export const GossipType = { update: 1, digest: 2 } as const
export type GossipMessage =
  | { type: 'update'; update: Uint8Array }
  /** `digest`: hash of state vector + delete set; `hint`: sent right after a local change too big to gossip. */
  | { type: 'digest'; digest: Uint8Array; hint: boolean }

export const DIGEST_BYTES = 32

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string }

function frame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.byteLength + 1)
  out[0] = type
  out.set(payload, 1)
  return out
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}

export function encodeSyncFrame(f: SyncFrame): Uint8Array {
  switch (f.type) {
    case 'stateVector':
      return frame(SyncFrameType.stateVector, f.stateVector)
    case 'updateChunk':
      if (f.chunk.byteLength > SYNC_CHUNK) throw new RangeError(`chunk of ${f.chunk.byteLength} bytes exceeds ${SYNC_CHUNK}`)
      return frame(SyncFrameType.updateChunk, f.chunk)
    case 'done':
      return frame(SyncFrameType.done, u32(f.totalBytes))
  }
}

export function decodeSyncFrame(bytes: Uint8Array): Decoded<SyncFrame> {
  if (bytes.byteLength < 1) return { ok: false, reason: 'empty frame' }
  if (bytes.byteLength > MAX_SYNC_FRAME) return { ok: false, reason: `frame of ${bytes.byteLength} bytes exceeds ${MAX_SYNC_FRAME}` }
  const payload = bytes.subarray(1)
  switch (bytes[0]) {
    case SyncFrameType.stateVector:
      // A state vector is a few bytes per writer; 64 KB is tens of thousands of writers.
      if (payload.byteLength > 64 * 1024) return { ok: false, reason: 'state vector too large' }
      return { ok: true, value: { type: 'stateVector', stateVector: payload } }
    case SyncFrameType.updateChunk:
      if (payload.byteLength === 0) return { ok: false, reason: 'empty update chunk' }
      return { ok: true, value: { type: 'updateChunk', chunk: payload } }
    case SyncFrameType.done:
      if (payload.byteLength !== 4) return { ok: false, reason: 'bad done frame' }
      return { ok: true, value: { type: 'done', totalBytes: new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0) } }
    default:
      return { ok: false, reason: `unknown sync frame type ${bytes[0]}` }
  }
}

export function encodeGossip(m: GossipMessage): Uint8Array {
  if (m.type === 'update') return frame(GossipType.update, m.update)
  if (m.digest.byteLength !== DIGEST_BYTES) throw new RangeError(`digest must be ${DIGEST_BYTES} bytes`)
  const payload = new Uint8Array(DIGEST_BYTES + 1)
  payload.set(m.digest, 0)
  payload[DIGEST_BYTES] = m.hint ? 1 : 0
  return frame(GossipType.digest, payload)
}

export function decodeGossip(bytes: Uint8Array): Decoded<GossipMessage> {
  if (bytes.byteLength < 1) return { ok: false, reason: 'empty message' }
  if (bytes.byteLength > MAX_GOSSIP_MESSAGE) return { ok: false, reason: `message of ${bytes.byteLength} bytes exceeds ${MAX_GOSSIP_MESSAGE}` }
  const payload = bytes.subarray(1)
  switch (bytes[0]) {
    case GossipType.update:
      if (payload.byteLength === 0) return { ok: false, reason: 'empty update' }
      return { ok: true, value: { type: 'update', update: payload } }
    case GossipType.digest:
      if (payload.byteLength !== DIGEST_BYTES + 1) return { ok: false, reason: 'bad digest length' }
      return { ok: true, value: { type: 'digest', digest: payload.subarray(0, DIGEST_BYTES), hint: payload[DIGEST_BYTES] === 1 } }
    default:
      return { ok: false, reason: `unknown message type ${bytes[0]}` }
  }
}

/** Splits a (possibly large) update into chunk frames for the sync stream. */
export function* chunkUpdate(update: Uint8Array, chunkSize = SYNC_CHUNK): Generator<Uint8Array> {
  for (let off = 0; off < update.byteLength; off += chunkSize) {
    yield encodeSyncFrame({ type: 'updateChunk', chunk: update.subarray(off, Math.min(off + chunkSize, update.byteLength)) })
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
