/**
 * The fast hash the `file://` destination verifies with: xxHash64 (WebAssembly). QuickXorHash is for
 * SharePoint, which stores it; for a local copy only speed matters, and xxh64 keeps verification off
 * the critical path (a plain-JS hash would run far below `cp` speed).
 */
import xxhash, { type XXHashAPI } from 'xxhash-wasm'

let api: Promise<XXHashAPI> | null = null

export function xxhashApi(): Promise<XXHashAPI> {
  api ??= xxhash()
  return api
}

export function hex64(v: bigint): string {
  return v.toString(16).padStart(16, '0')
}
