/**
 * What a failure means for the task: a source root that cannot be read, or any error that hits every
 * item, becomes a TaskScopeError (the round waits and retries); a lost lease or an abort passes through
 * as RoundAbortedError. Shared by the pass and the copies (its own module, so neither imports the other).
 */
import { stat } from 'node:fs/promises'
import { ERROR_CODES } from '../../protocol/classify.ts'
import { DestinationError } from './destination.ts'
import { RoundAbortedError, TaskScopeError } from './types.ts'

export async function checkSourceRoot(root: string): Promise<void> {
  try {
    const st = await stat(root)
    if (!st.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err)
    const why = code === 'ENOENT' ? 'does not exist (is the share mounted? check --map)' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code})`
    throw new TaskScopeError(`source ${root} ${why}`, ERROR_CODES.cannotAccessSource, { cause: err })
  }
}

export function asTaskScope(err: unknown, what: string): Error {
  if (err instanceof TaskScopeError || err instanceof RoundAbortedError) return err
  if (err instanceof DestinationError) return new TaskScopeError(err.message, err.code, { cause: err })
  if (err instanceof Error && err.name === 'AbortError') return new RoundAbortedError('cancelled')
  return new TaskScopeError(`${what}: ${err instanceof Error ? err.message : String(err)}`, 'TASK_ERROR', { cause: err })
}
