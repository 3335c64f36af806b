/**
 * Runs pure long work written as steps (protocol/steps.ts) on the agent's event loop, giving other work a
 * turn whenever a slice has run for SLICE_MS: a 50,000-row import otherwise held every control request
 * (`task list`, `agents`, the fleet view) for seconds.
 */
import { performance } from 'node:perf_hooks'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Steps } from '../../protocol/steps.ts'

const SLICE_MS = 20

/** `afterSlice` runs at the end of each slice that the work outlasts (to show or use what it has done so far). */
export async function runSteps<T>(steps: Steps<T>, afterSlice?: () => void, sliceMs = SLICE_MS): Promise<T> {
  let since = performance.now()
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
    if (performance.now() - since >= sliceMs) {
      afterSlice?.()
      await nextTurn()
      since = performance.now()
    }
  }
}
