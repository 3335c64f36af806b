/** Exit codes of CONTRACT.md, and the error that carries one up to `main`. */
export const EXIT = {
  ok: 0,
  /** bad input or an operation that failed */
  badInput: 1,
  /** the data dir is in use or unusable */
  dataDirBusy: 2,
  /** no agent running on the data dir */
  noAgent: 3,
  /** `task wait`: the timeout passed before every task finished (as timeout(1) says it) */
  timedOut: 124,
} as const

export class CliError extends Error {
  override name = 'CliError'
  constructor(
    message: string,
    readonly exitCode: number = EXIT.badInput,
  ) {
    super(message)
  }
}
