/**
 * The names a task's batches renamed into place, made durable once, at the end of the task's pass
 * (Destination.settle), instead of by a flush after each batch's renames. The bytes are still on disk
 * before a file takes its final name and the source's time (file-worker.js step 3), so a name that
 * survives a power cut has its data; a name lost with one is a file the rerun copies again, and the task
 * is not reported completed before settle() has flushed every name. Measured on a fresh ext4 (10,000 × 4 KB,
 * bench/fleet/migrate.ts --baseline, 9 turns): the per-batch flush of the names cost ~0.1 s of ~0.9 s a
 * task (the batches held their worker slots through a second flush each).
 */
import { constants as fsc } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { DestinationError } from '../engine/destination.ts'
import { SYNCFS, flushFileSystem } from './file-flush.ts'
import { syncFolder } from './file-io.ts'

export class FolderSettler {
  private readonly dirs = new Set<string>()

  /** A folder files were renamed into whose names are not flushed yet. */
  add(dir: string): void {
    this.dirs.add(dir)
  }

  /** Folders waiting for settle(). */
  get pending(): number {
    return this.dirs.size
  }

  /**
   * Flushes the folders added so far: one syncfs per file system they are on where it can (file-flush.ts),
   * else an fsync of each. On failure they stay pending for the next call, and the error is the task's
   * (the round waits and retries: the next pass lists the destination again).
   */
  async settle(signal: AbortSignal): Promise<void> {
    if (this.dirs.size === 0) return
    signal.throwIfAborted()
    const dirs = [...this.dirs]
    this.dirs.clear()
    try {
      if (!(SYNCFS && (await bySyncfs(dirs)))) for (const dir of dirs) await syncFolder(dir, dir)
    } catch (err) {
      for (const dir of dirs) this.dirs.add(dir)
      const why = err instanceof Error ? err.message : String(err)
      throw new DestinationError(`the names of the files copied could not be flushed to disk: ${why}`, 'task', 'DEST_NOT_FLUSHED', true, { cause: err })
    }
  }
}

/**
 * One syncfs per file system the folders are on, through a descriptor on each held open until answered
 * (one per file system: a task of many folders holds no more). False when a folder could not be opened or
 * a flush failed: the caller then fsyncs each folder, which names the one that fails.
 */
async function bySyncfs(dirs: readonly string[]): Promise<boolean> {
  const held = new Map<number, FileHandle>()
  try {
    for (const dir of dirs) {
      const fh = await open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY).catch(() => null)
      if (!fh) return false
      const dev = await fh.stat().then((st) => st.dev, () => null)
      if (dev !== null && !held.has(dev)) {
        held.set(dev, fh)
        continue
      }
      await fh.close().catch(() => undefined)
      if (dev === null) return false
    }
    const answers = await Promise.all([...held].map(([dev, fh]) => flushFileSystem(dev, fh.fd)))
    return answers.every((a) => a === null)
  } finally {
    await Promise.all([...held.values()].map((fh) => fh.close().catch(() => undefined)))
  }
}
