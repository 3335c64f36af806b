/**
 * Long pure work as a generator that yields between slices (an import's rows, a batch of signed tasks), so
 * an agent can give its event loop a turn between them and keep answering its control API
 * (agent/tasks/run-steps.ts); `finish` runs one to its end at once, for callers with nothing else to serve.
 */
export type Steps<T> = Generator<void, T, void>

export function finish<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
  }
}
