/**
 * The faults a chaos run injects, on a seeded schedule: kill -9 of a random agent (restarted on its data
 * dir a moment later, or at the heal when the fleet is split), one split of the fleet in two halves and
 * its heal, a destination made read-only for a while (a read-only bind mount), edits of source files
 * and of destination files while tasks run.
 */
import fs from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import type { AgentProc } from '../fixtures/fleet.ts'
import type { Rng } from './rng.ts'

export type FaultEvent =
  | { at: number; kind: 'kill' }
  | { at: number; kind: 'split' }
  | { at: number; kind: 'heal' }
  | { at: number; kind: 'dest-fail'; share: number }
  | { at: number; kind: 'dest-heal' }
  | { at: number; kind: 'edit-source' }
  | { at: number; kind: 'edit-dest' }

export interface ScheduleOptions {
  durationMs: number
  killEveryMs: number
  splitMs: number
  destFaultMs: number
  shares: number
  sourceEdits: number
  destEdits: number
}

/** The whole fault schedule, times in ms from the start of the fault period, sorted. */
export function makeSchedule(rng: Rng, o: ScheduleOptions): FaultEvent[] {
  const ev: FaultEvent[] = []
  if (o.killEveryMs > 0) {
    for (let t = o.killEveryMs; t < o.durationMs; t += o.killEveryMs) ev.push({ at: t + rng.int(-o.killEveryMs / 5, o.killEveryMs / 5), kind: 'kill' })
  }
  if (o.splitMs > 0) {
    const start = Math.max(0, Math.min(o.durationMs - o.splitMs, Math.floor(o.durationMs * 0.25)))
    ev.push({ at: start, kind: 'split' }, { at: Math.min(o.durationMs, start + o.splitMs), kind: 'heal' })
  }
  if (o.destFaultMs > 0) {
    const start = rng.int(Math.floor(o.durationMs * 0.1), Math.max(Math.floor(o.durationMs * 0.1), o.durationMs - o.destFaultMs))
    ev.push({ at: start, kind: 'dest-fail', share: rng.int(0, o.shares - 1) }, { at: start + o.destFaultMs, kind: 'dest-heal' })
  }
  for (let i = 0; i < o.sourceEdits; i++) ev.push({ at: rng.int(0, o.durationMs), kind: 'edit-source' })
  for (let i = 0; i < o.destEdits; i++) ev.push({ at: rng.int(Math.floor(o.durationMs * 0.2), o.durationMs), kind: 'edit-dest' })
  return ev.sort((a, b) => a.at - b.at)
}

/** Two non-empty halves of the running agents. */
export function halves(rng: Rng, agents: AgentProc[]): [AgentProc[], AgentProc[]] {
  const s = rng.shuffle(agents)
  const cut = Math.max(1, Math.floor(s.length / 2))
  return [s.slice(0, cut), s.slice(cut)]
}

/** Read-only bind mounts (root in a test container); every mount is undone by `release`. */
export class Mounts {
  private readonly active: string[] = []

  /** Whether this process may mount (root with CAP_SYS_ADMIN); checked once on a scratch dir. */
  static async available(scratch: string): Promise<boolean> {
    const probe = path.join(scratch, 'mount-probe')
    fs.mkdirSync(probe, { recursive: true })
    try {
      await execa('mount', ['--bind', probe, probe])
      await execa('umount', [probe])
      return true
    } catch {
      return false
    } finally {
      fs.rmSync(probe, { recursive: true, force: true })
    }
  }

  async readOnly(dir: string): Promise<void> {
    await execa('mount', ['--bind', dir, dir])
    this.active.push(dir)
    // The kernel refuses to make a mount read-only while a file on it is open for writing ("mount point
    // is busy"): an agent may be writing one at this instant. Such a write lasts milliseconds; try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await execa('mount', ['-o', 'remount,ro,bind', dir])
        return
      } catch (err) {
        if (attempt >= 200 || !/busy/i.test(String((err as Error).message))) throw err
        await new Promise((r) => setTimeout(r, 10))
      }
    }
  }

  async release(dir?: string): Promise<void> {
    const list = dir ? this.active.filter((d) => d === dir) : [...this.active]
    for (const d of list.reverse()) {
      // Lazy: a worker may still hold a file open under it.
      await execa('umount', ['-l', d]).catch(() => undefined)
      this.active.splice(this.active.lastIndexOf(d), 1)
    }
  }
}
