/**
 * The disk guard: an agent whose data dir's file system runs low on free space claims no new tasks (the
 * ledger, item results and logs all grow there, and level stops the agent for good at the first refused
 * write: INTERNALS.md §7), says why in its heartbeat, and claims again once space returns. Work it runs
 * already goes on: stopping it would not free space, and its progress is worth keeping.
 */
import fs from 'node:fs'
import type { Logger } from 'pino'

const MB = 1024 * 1024

export interface DiskGuardDeps {
  dataDir: string
  /** claim nothing new below this many MiB free (0: no guard) */
  minFreeMb: number
  logger: Logger
  /** how often the free space is read (default 2 s: one statfs, cheap) */
  intervalMs?: number
  /** called when the reason appears, changes wording or goes */
  onChange?: (reason: string | null) => void
  /** for tests of the module alone */
  statfs?: (dir: string) => Promise<{ bavail: number; bsize: number }>
}

export interface DiskGuard {
  /** why this agent claims nothing new, or null */
  reason(): string | null
  /** reads the free space now */
  check(): Promise<void>
  start(): Promise<void>
  stop(): void
}

export function lowSpaceReason(freeBytes: number, minFreeMb: number): string | null {
  if (minFreeMb <= 0 || freeBytes >= minFreeMb * MB) return null
  // The figure first: the fleet view shows the start of it in a narrow column.
  return `low disk: ${Math.floor(freeBytes / MB)} MB free in its data dir, under --min-free-mb ${minFreeMb}: claims no new tasks until space is freed there (or it is started with a lower --min-free-mb)`
}

export function createDiskGuard(deps: DiskGuardDeps): DiskGuard {
  const statfs = deps.statfs ?? ((dir: string) => fs.promises.statfs(dir))
  let current: string | null = null
  let timer: NodeJS.Timeout | null = null
  let wasLow = false

  async function check(): Promise<void> {
    if (deps.minFreeMb <= 0) return
    let next: string | null
    try {
      const s = await statfs(deps.dataDir)
      next = lowSpaceReason(s.bavail * s.bsize, deps.minFreeMb)
    } catch (err) {
      // Cannot tell: keep the last answer rather than flap; the log says why.
      deps.logger.warn({ err: (err as Error).message, dir: deps.dataDir }, 'cannot read the free space of the data dir')
      return
    }
    const low = next !== null
    if (low !== wasLow) {
      if (low) deps.logger.warn({ dir: deps.dataDir, minFreeMb: deps.minFreeMb }, 'data dir low on space: claiming no new tasks')
      else deps.logger.info({ dir: deps.dataDir }, 'data dir has space again: claiming tasks')
      wasLow = low
    }
    if (next !== current) {
      current = next
      deps.onChange?.(current)
    }
  }

  return {
    reason: () => current,
    check,
    async start() {
      if (deps.minFreeMb <= 0) return
      await check()
      timer = setInterval(() => void check(), deps.intervalMs ?? 2000)
      timer.unref()
    },
    stop() {
      if (timer) clearInterval(timer)
    },
  }
}

