/**
 * Puts the fleet view on a terminal: the alternate screen (so quitting gives the shell back as it was),
 * console output routed above the frame, Ctrl-C to leave.
 */
import React from 'react'
import { render, type Instance } from 'ink'
import type { FleetActions, FleetSource } from './model.ts'
import { FleetApp } from './app.tsx'

export interface RenderFleetOptions {
  stdout?: NodeJS.WriteStream
  stdin?: NodeJS.ReadStream
  /** Called when the admin presses q (before the app unmounts). */
  onQuit?: () => void
  /** Draw on the terminal's alternate screen (default: when stdout is a TTY) so quitting restores it. */
  altScreen?: boolean
  /** Route console output above the frame (default true; test runners that replace console need false). */
  patchConsole?: boolean
}

const ALT_ON = '\u001B[?1049h'
const ALT_OFF = '\u001B[?1049l'

/** Mounts the fleet view; the CLI awaits `instance.waitUntilExit()`. Logs must not go to this stdout. */
export function renderFleetApp(source: FleetSource, actions: FleetActions, opts: RenderFleetOptions = {}): Instance {
  const stdout = opts.stdout ?? process.stdout
  const stdin = opts.stdin ?? process.stdin
  const alt = opts.altScreen ?? Boolean(stdout.isTTY)
  if (alt) stdout.write(ALT_ON)
  const instance = render(<FleetApp source={source} actions={actions} onQuit={opts.onQuit} />, {
    stdout,
    stdin,
    exitOnCtrlC: true,
    // Anything printed through console while the view runs goes above the frame instead of through it.
    patchConsole: opts.patchConsole ?? true,
  })
  if (alt) {
    const leave = (): void => {
      stdout.write(ALT_OFF)
    }
    instance.waitUntilExit().then(leave, leave)
  }
  return instance
}
