/**
 * Helpers for the fleet view's component tests: mount the real app through ink-testing-library at a
 * given terminal size, press keys, and wait (bounded) for a frame that shows what a test expects.
 */
import React from 'react'
import { render } from 'ink-testing-library'
import { FleetApp } from './app.tsx'
import type { FleetActions, FleetSource } from './model.ts'

export const KEYS = {
  up: '\u001B[A',
  down: '\u001B[B',
  pageDown: '\u001B[6~',
  pageUp: '\u001B[5~',
  enter: '\r',
  tab: '\t',
  shiftTab: '\u001B[Z',
  escape: '\u001B',
  backspace: '\u007F',
} as const

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;?]*[A-Za-z]|\u001B\][^\u0007]*\u0007/g

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '')
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Sets the fake terminal's size the way a real one changes: new columns/rows, then a 'resize' event. */
export function resize(stdout: NodeJS.EventEmitter, columns: number, rows: number): void {
  Object.defineProperty(stdout, 'columns', { value: columns, configurable: true })
  Object.defineProperty(stdout, 'rows', { value: rows, configurable: true })
  stdout.emit('resize')
}

export interface Mounted {
  frame(): string
  frames: string[]
  /** Writes keys one by one, each after the previous one was handled (a tick apart). */
  press(...keys: string[]): Promise<void>
  /** Types text as one chunk (as a paste arrives). */
  type(text: string): Promise<void>
  /** Writes several chunks in the same tick, as a fast typist's keys can arrive. */
  burst(...chunks: string[]): Promise<void>
  /** Polls until the frame satisfies `want` (text it must contain, or a predicate); throws with the frame. */
  waitFor(want: string | RegExp | ((frame: string) => boolean), timeoutMs?: number): Promise<string>
  resize(columns: number, rows: number): Promise<void>
  unmount(): void
  quits: number
}

export async function mount(
  source: FleetSource,
  actions: FleetActions,
  opts: { columns?: number; rows?: number; initialView?: 'fleet' | 'tasks'; redrawMs?: number } = {},
): Promise<Mounted> {
  const state = { quits: 0 }
  const r = render(<FleetApp source={source} actions={actions} initialView={opts.initialView} redrawMs={opts.redrawMs} onQuit={() => state.quits++} />)
  const columns = opts.columns ?? 80
  resize(r.stdout, columns, opts.rows ?? 24)
  const frame = (): string => stripAnsi(r.lastFrame() ?? '')
  // The header is padded to the full width: wait for the frame drawn at the size asked for (the first
  // one is drawn at ink-testing-library's 100 columns). This also lets the input subscription start
  // (input written before useInput subscribed is lost).
  const end = Date.now() + 5000
  while ([...(frame().split('\n')[0] ?? '')].length !== columns && Date.now() < end) await sleep(5)
  await sleep(20)
  const m: Mounted = {
    frame,
    frames: r.frames,
    async press(...keys) {
      for (const k of keys) {
        r.stdin.write(k)
        // Esc is held back by ink for a tick in case a sequence follows; wait past that.
        await sleep(k === KEYS.escape ? 25 : 10)
      }
    },
    async type(text) {
      r.stdin.write(text)
      await sleep(10)
    },
    async burst(...chunks) {
      for (const c of chunks) r.stdin.write(c)
      await sleep(30)
    },
    async waitFor(want, timeoutMs = 3000) {
      const ok = (f: string): boolean =>
        typeof want === 'string' ? f.includes(want) : want instanceof RegExp ? want.test(f) : want(f)
      const end = Date.now() + timeoutMs
      for (;;) {
        const f = frame()
        if (ok(f)) return f
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(want)}; last frame:\n${f}`)
        await sleep(10)
      }
    },
    async resize(columns, rows) {
      resize(r.stdout, columns, rows)
      const until = Date.now() + 5000
      while ([...(frame().split('\n')[0] ?? '')].length !== columns && Date.now() < until) await sleep(5)
    },
    unmount: () => r.unmount(),
    get quits() {
      return state.quits
    },
  }
  return m
}

/** Lines of a frame wider than `columns` (by code points; the UI draws no wide characters). */
export function overwide(frame: string, columns: number): string[] {
  return frame.split('\n').filter((l) => [...l].length > columns)
}
