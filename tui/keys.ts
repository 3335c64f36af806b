/**
 * Key routing for the fleet view: one ink input subscription for the whole app (KeyRoot), handlers
 * registered by the views (useKeys), and keys delivered one at a time.
 *
 * Why not ink's useInput in every view: it (re)subscribes in a passive effect, which can run after the
 * next key arrived, so that key went to the view just left (the first letter typed into a new filter
 * line sorted the table instead). Here views register in layout effects, which run as the frame commits.
 *
 * Why one key per turn of the event loop: React draws the change one key made (a view opened, a field
 * focused) before the next key is routed, so keys that arrive together (a fast typist, a loaded
 * machine, tmux send-keys) reach the view the previous key opened.
 *
 * Why split text: ink hands a run of plain characters that arrived in one read ("jj\r") to handlers as
 * one input, which no single-key binding matches. Runs are split into keys; while a text field is
 * focused, consecutive printable characters are joined again so a paste costs one redraw.
 */
import React, { createContext, useCallback, useContext, useEffect, useLayoutEffect, useMemo, useRef } from 'react'
import { useInput, type Key } from 'ink'

export type KeyHandler = (input: string, key: Key) => void

type Layer = { current: KeyHandler; text: boolean }
interface KeyRouter {
  layers: Set<Layer>
  /** Called by every key-handling component as it commits: the key in flight has been drawn. */
  committed(): void
}
const KeyLayers = createContext<KeyRouter | null>(null)

/** How long the next key of a burst waits for a key that changed nothing (so drew nothing). */
const IDLE_KEY_MS = 100

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
}

/** One character of a plain-text run as the key ink would have reported had it come alone. */
function keyOf(ch: string): [string, Key] {
  switch (ch) {
    case '\r':
      return ['', { ...NO_KEY, return: true }]
    case '\t':
      return ['', { ...NO_KEY, tab: true }]
    case '\u007f':
      return ['', { ...NO_KEY, delete: true }]
    case '\b':
      return ['', { ...NO_KEY, backspace: true }]
    default:
      return [ch, { ...NO_KEY, shift: /[A-Z]/.test(ch) }]
  }
}

/** Splits what ink reported into single keys; escape sequences and named keys come whole already. */
export function splitInput(input: string, key: Key): [string, Key][] {
  if ([...input].length <= 1 || key.ctrl || key.meta) return [[input, key]]
  return [...input].map(keyOf)
}

const isPrintable = (input: string, key: Key): boolean =>
  input.length > 0 && !key.ctrl && !key.meta && !key.return && !key.tab && !key.backspace && !key.delete && !/[\u0000-\u001f\u007f]/.test(input)

export function KeyRoot({ children }: { children: React.ReactNode }): React.ReactElement {
  const layers = useMemo(() => new Set<Layer>(), [])
  const queue = useRef<[string, Key][]>([])
  const busy = useRef(false)
  const alive = useRef(true)
  const waiting = useRef<(() => void) | null>(null)
  const next = useCallback(() => {
    if (!alive.current) return
    const item = queue.current.shift()
    if (!item) {
      busy.current = false
      return
    }
    busy.current = true
    let [input, key] = item
    // A focused text field takes a run of typed characters at once.
    if (isPrintable(input, key) && [...layers].some((l) => l.text)) {
      while (queue.current.length > 0 && isPrintable(...queue.current[0]!)) input += queue.current.shift()![0]
      key = { ...NO_KEY }
    }
    // The next key waits until React has drawn this one's change (a view opened, a field focused),
    // told by the key-handling components' layout effects; a key that changed nothing draws nothing,
    // so a short timer stands in. Waiting for a turn of the event loop was not enough under load: React
    // sometimes drew later, and keys of a burst reached the view that was already closing. In
    // `finally`: a handler that throws must not stop every later key.
    try {
      // A copy: a layer a handler opens (by changing state) starts with the next key, not this one.
      for (const layer of [...layers]) layer.current(input, key)
    } finally {
      let done = false
      const go = (): void => {
        if (done) return
        done = true
        clearTimeout(idle)
        waiting.current = null
        setImmediate(next)
      }
      const idle = setTimeout(go, IDLE_KEY_MS)
      waiting.current = go
    }
  }, [layers])
  const dispatch = useCallback(
    (input: string, key: Key) => {
      queue.current.push(...splitInput(input, key))
      // Nothing in flight: handle it now, so a lone key answers at once.
      if (!busy.current) next()
    },
    [next],
  )
  useEffect(() => {
    alive.current = true
    return () => {
      alive.current = false
      queue.current = []
    }
  }, [])
  const router = useMemo<KeyRouter>(() => ({ layers, committed: () => waiting.current?.() }), [layers])
  useInput(dispatch)
  return React.createElement(KeyLayers.Provider, { value: router }, children)
}

/**
 * Handles keys while `isActive`; the handler may change every render without re-subscribing.
 * `text`: this handler edits text (gets runs of typed characters whole).
 */
export function useKeys(handler: KeyHandler, isActive = true, opts: { text?: boolean } = {}): void {
  const router = useContext(KeyLayers)
  const layers = router?.layers ?? null
  const ref = useRef(handler)
  useLayoutEffect(() => {
    ref.current = handler
    // This component committed: a key waiting on a redraw may go on (after this commit completes).
    router?.committed()
  })
  const text = opts.text ?? false
  useLayoutEffect(() => {
    if (!isActive || !layers) return
    const layer: Layer = { current: (input, key) => ref.current(input, key), text }
    layers.add(layer)
    return () => {
      layers.delete(layer)
    }
  }, [isActive, layers, text])
  // Outside a KeyRoot (a view rendered on its own) fall back to ink's subscription.
  const stable = useCallback((input: string, key: Key) => ref.current(input, key), [])
  useInput(stable, { isActive: isActive && !layers })
}
