/**
 * Test destinations, wrapped around the real one through the agent's `wrapDestination` plugin hook:
 * a pause before each file is written (MMESH_TEST_FILE_DELAY_MS, so a kill or a split lands mid-task),
 * a count of every file a put committed (the chaos harness's copy log), and a note of every put begun
 * (a file begun and never committed was abandoned mid-copy).
 */
import type { BatchFile, BatchOutcome, BatchPutOptions, Destination, PutOptions, SourceFile } from '../../agent/engine/destination.ts'
import { abortableSleep } from '../../agent/runner/engine-runner.ts'

/** The pause comes before each file, batched or not: a batch goes through as batches of one. */
export function slowed(dest: Destination, delayMs: number): Destination {
  const putFiles = dest.putFiles?.bind(dest)
  return Object.assign(Object.create(dest) as Destination, {
    // The engine's own window (taskConcurrency), not the destination's wider one: the pause paces a task
    // so that a kill or a split lands mid-task, and the tests' pauses are sized for that window.
    batchWindow: undefined,
    putFile: async (rel: string, src: SourceFile, opts: PutOptions) => {
      await abortableSleep(delayMs, opts.signal)
      return dest.putFile(rel, src, opts)
    },
    ...(putFiles && {
      putFiles: async (files: readonly BatchFile[], opts: BatchPutOptions) => {
        const out: BatchOutcome[] = []
        for (const f of files) {
          await abortableSleep(delayMs, opts.signal)
          out.push(...(await putFiles([f], opts)))
        }
        return out
      },
    }),
  })
}

/** Tells `onCopied` of every file a put committed at the destination. */
export function counted(dest: Destination, onCopied: (relPath: string) => void): Destination {
  const putFiles = dest.putFiles?.bind(dest)
  return Object.assign(Object.create(dest) as Destination, {
    putFile: async (rel: string, src: SourceFile, opts: PutOptions) => {
      const r = await dest.putFile(rel, src, opts)
      onCopied(rel)
      return r
    },
    ...(putFiles && {
      putFiles: async (files: readonly BatchFile[], opts: BatchPutOptions) => {
        const out = await putFiles(files, opts)
        out.forEach((o, i) => o.ok && onCopied(files[i]!.relPath))
        return out
      },
    }),
  })
}

/** Tells `onStart` of every file a put begins (a batch: each of its files, when the batch goes). */
export function started(dest: Destination, onStart: (relPath: string) => void): Destination {
  const putFiles = dest.putFiles?.bind(dest)
  return Object.assign(Object.create(dest) as Destination, {
    putFile: (rel: string, src: SourceFile, opts: PutOptions) => {
      onStart(rel)
      return dest.putFile(rel, src, opts)
    },
    ...(putFiles && {
      putFiles: (files: readonly BatchFile[], opts: BatchPutOptions) => {
        for (const f of files) onStart(f.relPath)
        return putFiles(files, opts)
      },
    }),
  })
}
