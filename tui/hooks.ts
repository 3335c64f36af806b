/**
 * Hooks shared by the views: the throttled fleet snapshot, the terminal size, and key input with a
 * stable subscription (ink re-subscribes useInput whenever the handler changes identity; a stable one
 * means no key can slip into the gap between unsubscribe and subscribe after a redraw).
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react'
import { useStdout } from 'ink'
import type { FleetSnapshot, FleetSource } from './model.ts'
import { safeSnapshot } from './safe-snapshot.ts'

/** Data redraws at most this often (ms): ~4 a second. Key presses do not wait for it. */
export const DATA_REDRAW_MS = 250

export interface ThrottledStore {
  subscribe(listener: () => void): () => void
  getSnapshot(): FleetSnapshot
  /** Takes the source's latest snapshot now (after the admin's own action, so its effect shows at once). */
  flush(): void
  /** How many snapshots were passed on to the UI (for tests and the bench). */
  readonly emits: number
}

/**
 * Archived tasks (`task archive`) are left out of the fleet view unless the filter line asks for them
 * (`archived`, as `task list --archived`): then the Tasks view lists those only. The snapshot is kept as
 * is when no task is archived.
 */
export function splitArchived(snapshot: FleetSnapshot, archived: boolean): FleetSnapshot {
  if (!archived && !snapshot.tasks.some((t) => t.archived)) return snapshot
  return { ...snapshot, tasks: snapshot.tasks.filter((t) => t.archived === archived) }
}

/** The snapshot without the archived tasks, or with those only; a new object only when `all` changed. */
export function useArchivedSplit(all: FleetSnapshot, archived: boolean): FleetSnapshot {
  return useMemo(() => splitArchived(all, archived), [all, archived])
}

/**
 * Wraps a FleetSource so that however often it changes, listeners hear of it at most once per interval:
 * the first change after a quiet spell passes at once, later ones are folded into one trailing update.
 * What it passes on is terminal-safe (safe-snapshot.ts): the view never draws a string as it came.
 */

export function createThrottledStore(source: FleetSource, intervalMs = DATA_REDRAW_MS): ThrottledStore {
  let raw = source.getSnapshot()
  let current = safeSnapshot(raw)
  let lastEmit = -Infinity
  let timer: ReturnType<typeof setTimeout> | undefined
  let emits = 0
  const listeners = new Set<() => void>()
  let unsubscribeSource: (() => void) | undefined

  const emit = (): void => {
    if (timer) clearTimeout(timer)
    timer = undefined
    lastEmit = Date.now()
    const next = source.getSnapshot()
    if (next === raw) return
    raw = next
    current = safeSnapshot(next)
    emits++
    for (const l of [...listeners]) l()
  }
  const onSourceChange = (): void => {
    if (timer) return
    const wait = lastEmit + intervalMs - Date.now()
    if (wait <= 0) emit()
    else timer = setTimeout(emit, wait)
  }

  return {
    subscribe(listener) {
      listeners.add(listener)
      if (!unsubscribeSource) {
        unsubscribeSource = source.subscribe(onSourceChange)
        // A change between the first read and subscribing would otherwise wait for the next one.
        if (source.getSnapshot() !== raw) onSourceChange()
      }
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0 && unsubscribeSource) {
          unsubscribeSource()
          unsubscribeSource = undefined
          if (timer) clearTimeout(timer)
          timer = undefined
        }
      }
    },
    getSnapshot: () => current,
    flush: emit,
    get emits() {
      return emits
    },
  }
}

export function useFleetSnapshot(source: FleetSource, intervalMs = DATA_REDRAW_MS): { snapshot: FleetSnapshot; store: ThrottledStore } {
  const store = useMemo(() => createThrottledStore(source, intervalMs), [source, intervalMs])
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot)
  return { snapshot, store }
}

export interface TerminalSize {
  columns: number
  rows: number
}

/** The terminal's size, following resizes; 80×24 when the stream does not say (a pipe). */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout()
  const read = useCallback(
    (): TerminalSize => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 }),
    [stdout],
  )
  const [size, setSize] = useState(read)
  useLayoutEffect(() => {
    const onResize = (): void => {
      const next = read()
      setSize((prev) => (prev.columns === next.columns && prev.rows === next.rows ? prev : next))
    }
    onResize()
    stdout.on('resize', onResize)
    return () => {
      stdout.off('resize', onResize)
    }
  }, [stdout, read])
  return size
}

export { KeyRoot, useKeys, type KeyHandler } from './keys.ts'

/**
 * State whose latest value is readable at once through the returned ref. A key handler may run again
 * before React has re-rendered with the previous key's change; reading the ref (and updating through
 * it) keeps every key, in order, instead of computing from a value one key old.
 */
export function useLatestState<T>(initial: T): [T, (update: T | ((prev: T) => T)) => void, { readonly current: T }] {
  const [state, setState] = useState(initial)
  const ref = useRef(initial)
  const set = useCallback((update: T | ((prev: T) => T)) => {
    ref.current = typeof update === 'function' ? (update as (prev: T) => T)(ref.current) : update
    setState(ref.current)
  }, [])
  return [state, set, ref]
}

/** A one-line message that clears itself after a while (action results, errors). */
export function useFlash(ms = 6000): [string | null, (text: string | null) => void] {
  const [text, setText] = useState<string | null>(null)
  useEffect(() => {
    if (text === null) return
    const t = setTimeout(() => setText(null), ms)
    return () => clearTimeout(t)
  }, [text, ms])
  return [text, setText]
}
