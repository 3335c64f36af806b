/**
 * Everything the fleet view shows comes from the ledger or from agents' heartbeats: task names, sources,
 * file names in failures, reasons, agent names and hosts, all written by whoever holds the fleet key or
 * names files on a share. The view draws only snapshots passed through here, so every string in them is
 * terminal-safe (protocol/terminal-text.ts) and none can move the cursor, retitle the window or clear the
 * screen. Objects are rebuilt only when they hold something to escape, and results are remembered per
 * object, so the unchanged TaskViews of a 50,000-task fleet keep their identity (the view's caches rely
 * on it) and cost one lookup each after the first pass.
 */
import { terminalSafe } from '../protocol/terminal-text.ts'
import type { FleetSnapshot } from './model.ts'

const done = new WeakMap<object, unknown>()

function safe(value: unknown): unknown {
  if (typeof value === 'string') return terminalSafe(value)
  if (value === null || typeof value !== 'object') return value
  const hit = done.get(value)
  if (hit !== undefined) return hit
  let out: unknown = value
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null
    for (let i = 0; i < value.length; i++) {
      const v = safe(value[i])
      if (v !== value[i]) (copy ??= value.slice())[i] = v
    }
    if (copy) out = copy
  } else {
    let copy: Record<string, unknown> | null = null
    for (const [k, v] of Object.entries(value)) {
      const s = safe(v)
      const key = terminalSafe(k)
      if (s !== v || key !== k) {
        copy ??= { ...(value as Record<string, unknown>) }
        if (key !== k) delete copy[k]
        copy[key] = s
      }
    }
    if (copy) out = copy
  }
  done.set(value, out)
  return out
}

export function safeSnapshot(snapshot: FleetSnapshot): FleetSnapshot {
  return safe(snapshot) as FleetSnapshot
}
