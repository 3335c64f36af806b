/**
 * Runs pure long work written as steps (protocol/steps.ts) on the agent's event loop, giving other work a
 * turn whenever a slice has run for SLICE_MS: a 50,000-row import otherwise held every control request
 * (`task list`, `agents`, the fleet view) for seconds.
 */
import { performance } from 'node:perf_hooks'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Steps } from '../../protocol/steps.ts'

const SLICE_MS = 20

export async function runSteps<T>(steps: Steps<T>, sliceMs = SLICE_MS): Promise<T> {
  let since = performance.now()
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
    if (performance.now() - since >= sliceMs) {
      await nextTurn()
      since = performance.now()
    }
  }
}
