/**
 * Client side of the control endpoint, for CLI commands: reach the agent running on a data dir. No agent
 * (no socket, or a dead agent's leftover socket refusing connections) → CliError exit 3 at once.
 *
 * Calls are typed by the control API (api/methods.ts), imported as types only: a command that starts,
 * asks and prints loads no schema library; the agent checks every request it gets.
 */
import fs from 'node:fs'
import net from 'node:net'
import { CliError, EXIT } from './errors.ts'
import { controlSocketPath, files } from './data-dir.ts'
import type { EventOf, MethodName, ParamsIn, Reply, StreamName } from './methods.ts'

export function socketPathFor(dataDir: string): string {
  try {
    const recorded = fs.readFileSync(files(dataDir).controlPathRecord, 'utf8').trim()
    if (recorded) return recorded
  } catch (err) {
    // The data dir is its owner's alone (0700): another user cannot even learn where the socket is.
    const code = (err as NodeJS.ErrnoException).code ?? ''
    if (code === 'EACCES' || code === 'EPERM') throw permissionDenied(dataDir, code)
    /* not recorded: the default place */
  }
  return controlSocketPath(dataDir)
}

function noAgent(dataDir: string): CliError {
  return new CliError(`no agent is running on ${dataDir}: start one with mmesh start --data ${dataDir}`, EXIT.noAgent)
}

function permissionDenied(dataDir: string, code: string): CliError {
  return new CliError(`permission denied on the control endpoint of the agent on ${dataDir} (${code}): only the user that started the agent may drive it; run mmesh as that user`, EXIT.dataDirBusy)
}

/**
 * The endpoint must be a socket of this user's: a CLI command must not hand its requests (or trust the
 * answers) of a socket someone else put where the agent's was expected (possible under a shared temp dir).
 */
function checkEndpointOwner(dataDir: string, socketPath: string): void {
  let st: fs.Stats
  try {
    st = fs.lstatSync(socketPath)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    if (code === 'EACCES' || code === 'EPERM') throw permissionDenied(dataDir, code)
    throw noAgent(dataDir)
  }
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid) {
    throw new CliError(`the control endpoint ${socketPath} of ${dataDir} belongs to uid ${st.uid}, not to you (uid ${uid}): it is not your agent's; stop that process or remove the file, then start your agent again`, EXIT.dataDirBusy)
  }
}

function connect(dataDir: string): Promise<net.Socket> {
  const socketPath = socketPathFor(dataDir)
  checkEndpointOwner(dataDir, socketPath)
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath)
    socket.once('connect', () => {
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy()
      if (['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'ENOTDIR'].includes(err.code ?? '')) reject(noAgent(dataDir))
      // The endpoint is the agent owner's alone (socket 0600 in a 0700 dir): say so, not "no agent" (exit 3).
      else if (err.code === 'EACCES' || err.code === 'EPERM') reject(permissionDenied(dataDir, err.code))
      else reject(new CliError(`cannot reach the agent on ${dataDir} (${err.code ?? err.message})`, EXIT.noAgent))
    })
  })
}

/**
 * Calls onLine for each JSON line. A reply can be a line of many megabytes (10,000 tasks): the pieces of
 * an unfinished line are kept in a list and joined once its end arrives, and only a new piece is searched
 * for a line end, so reading it costs its length, not its length times its chunks.
 */
function lines(socket: net.Socket, onLine: (obj: Record<string, unknown>) => void): void {
  let pending: string[] = []
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    let start = 0
    let nl: number
    while ((nl = chunk.indexOf('\n', start)) >= 0) {
      pending.push(chunk.slice(start, nl))
      const line = pending.length === 1 ? pending[0]! : pending.join('')
      pending = []
      start = nl + 1
      try {
        onLine(JSON.parse(line))
      } catch {
        /* ignore a malformed line */
      }
    }
    if (start < chunk.length) pending.push(chunk.slice(start))
  })
}

/** Error thrown for an `{error}` answer: carries the agent's message and code (used as exit code). */
export function answerError(dataDir: string, err: { message?: unknown; code?: unknown }): CliError {
  const code = typeof err.code === 'number' && err.code >= 1 && err.code <= 3 ? err.code : EXIT.badInput
  return new CliError(typeof err.message === 'string' ? err.message : `the agent on ${dataDir} refused the request`, code)
}

export interface CallOptions {
  /** give up (exit 1) when the agent has not answered within this long; default 30 s */
  timeoutMs?: number
}

/** The params argument, optional only for a method whose params are all optional. */
type ParamsArgs<M extends MethodName> = {} extends ParamsIn<M> ? [params?: ParamsIn<M>, opts?: CallOptions] : [params: ParamsIn<M>, opts?: CallOptions]

/** Calls a method of the control API on the agent of dataDir; resolves with its reply. */
export function callAgent<M extends MethodName>(dataDir: string, method: M, ...[params, opts]: ParamsArgs<M>): Promise<Reply<M>> {
  return request(dataDir, method, params ?? {}, opts ?? {}) as Promise<Reply<M>>
}

/** Calls a method outside the control API (test hooks); the caller says what the reply is. */
export function callAgentUntyped<T = unknown>(dataDir: string, method: string, params: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<T> {
  return request(dataDir, method, params, opts) as Promise<T>
}

async function request(dataDir: string, method: string, params: unknown, opts: CallOptions): Promise<unknown> {
  const socket = await connect(dataDir)
  const timeoutMs = opts.timeoutMs ?? 30_000
  return new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new CliError(`the agent on ${dataDir} did not answer ${method} within ${Math.round(timeoutMs / 1000)} s`, EXIT.badInput))
    }, timeoutMs)
    let settled = false
    lines(socket, (msg) => {
      if (msg.id !== 1 || settled) return
      settled = true
      clearTimeout(timer)
      socket.end()
      if (msg.error && typeof msg.error === 'object') reject(answerError(dataDir, msg.error as Record<string, unknown>))
      else resolve(msg.result)
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(new CliError(`the connection to the agent on ${dataDir} failed during ${method} (${err.code ?? err.message})`, EXIT.noAgent))
    })
    socket.on('close', () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(new CliError(`the agent on ${dataDir} closed the connection before answering ${method}`, EXIT.noAgent))
    })
    socket.write(`${JSON.stringify({ id: 1, method, params })}\n`)
  })
}

export interface Subscription {
  close(): void
  /** resolves when the stream ends (agent gone or closed) */
  closed: Promise<void>
}

/** Opens a stream method of the control API: onEvent gets each event until the stream ends or is closed. */
export async function subscribeAgent<S extends StreamName>(dataDir: string, method: S, params: ParamsIn<S>, onEvent: (event: EventOf<S>) => void, onError?: (err: CliError) => void): Promise<Subscription> {
  const socket = await connect(dataDir)
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
  socket.on('error', () => socket.destroy())
  lines(socket, (msg) => {
    if (msg.id !== 1) return
    if (msg.error && typeof msg.error === 'object') {
      onError?.(answerError(dataDir, msg.error as Record<string, unknown>))
      socket.end()
    } else if ('event' in msg) onEvent(msg.event as EventOf<S>)
  })
  socket.write(`${JSON.stringify({ id: 1, method, params })}\n`)
  return { close: () => socket.end(), closed }
}
