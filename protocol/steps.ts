/**
 * Long pure work as a generator that yields between slices (an import's rows, a batch of signed tasks), so
 * an agent can give its event loop a turn between them and keep answering its control API
 * (agent/tasks/run-steps.ts); `finish` runs one to its end at once, for callers with nothing else to serve.
 */
export type Steps<T> = Generator<void, T, void>

/** Items (an import's rows, a list's tasks) handled between two yields. */
export const ROWS_PER_STEP = 500

/** Calls `each` on every item, yielding after every ROWS_PER_STEP of them. */
export function* eachInSteps<T>(items: readonly T[], each: (item: T, index: number) => void): Steps<void> {
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % ROWS_PER_STEP === 0) yield
    each(items[i]!, i)
  }
}

export function finish<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
  }
}
