/**
 * The file:// destination's temporary names, and which of them are ours to delete (moved out of
 * file-pool.ts: naming is the destination's job, the pool only carries a job's prefix to its worker).
 */
import { createHash, randomBytes } from 'node:crypto'

/** How every temporary name of the file:// destination starts (see TempNames for the rest). */
export const TEMP_PREFIX = '.mmesh-tmp-'

/** Tokens of this process's file destinations that are open: their temporary files may be in flight. */
const liveTokens = new Set<string>()
/** The agent tag of a destination given no `tempTag`: this process's own (see TempNames). */
const processTag = randomBytes(6).toString('hex')
const NO_TASK = '000000000000'
const TEMP_NAME = /^\.mmesh-tmp-([0-9a-f]{12})\.([0-9a-f]{12})\.([0-9a-f]{8})\./

function tag(kind: string, value: string): string {
  return createHash('sha256').update(`mmesh-temp-${kind}:${value}`).digest('hex').slice(0, 12)
}

/**
 * Temporary names, and which of them are ours to delete. A name is
 * `.mmesh-tmp-<agent>.<task>.<token>.<rest>`: `agent` (12 hex) stands for the agent (a hash of its
 * `tempTag`, e.g. its agent id, so it is the same after a restart), `task` (12 hex) for the task it copies
 * for (a hash of its id), `token` (8 hex) for one open destination of this process.
 *
 * A leftover — deleted when its folder is listed — is a name whose token is not open in this process and
 * that either has this agent's tag (one agent runs in one process, its data dir is locked: the file was left
 * by a run of ours that was killed, or by a destination closed mid-copy) or this destination's task (a task
 * has one holder at a time, which is us now: the file was left by a holder that died or lost the lease).
 * Everything else is left alone and listed as it is: another agent's temporary files of another task in a
 * shared folder, a user's file that merely starts with `.mmesh-tmp-`, and this process's files in flight.
 * Without a `tempTag` the agent tag is this process's own: nothing an earlier process left is deleted
 * (except through the task).
 */
export class TempNames {
  readonly agent: string
  readonly task: string | null
  readonly token: string
  /** Every temporary name this destination makes starts with this. */
  readonly prefix: string

  constructor(tempTag?: string | null, taskId?: string | null) {
    this.agent = tempTag ? tag('agent', tempTag) : processTag
    this.task = taskId ? tag('task', taskId) : null
    this.token = randomBytes(4).toString('hex')
    this.prefix = `${TEMP_PREFIX}${this.agent}.${this.task ?? NO_TASK}.${this.token}.`
    liveTokens.add(this.token)
  }

  /** 'leftover': ours, from a run that is over (delete it); 'live': this process's, maybe in flight; null: not ours. */
  classify(name: string): 'leftover' | 'live' | null {
    const m = TEMP_NAME.exec(name)
    if (!m) return null
    if (liveTokens.has(m[3]!)) return 'live'
    return m[1] === this.agent || (this.task !== null && m[2] === this.task) ? 'leftover' : null
  }

  /** The destination is closed: what it left is a leftover from now on. */
  release(): void {
    liveTokens.delete(this.token)
  }
}
