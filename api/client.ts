/**
 * Client side of the control endpoint, for CLI commands: reach the agent running on a data dir. No agent
 * (no socket, or a dead agent's leftover socket refusing connections) → CliError exit 3 at once.
 */
import fs from 'node:fs'
import net from 'node:net'
import { CliError, EXIT } from './errors.ts'
import { controlSocketPath, files } from './data-dir.ts'

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

function lines(socket: net.Socket, onLine: (obj: Record<string, unknown>) => void): void {
  let buf = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buf += chunk
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      try {
        onLine(JSON.parse(line))
      } catch {
        /* ignore a malformed line */
      }
    }
  })
}

/** Error thrown for an `{error}` answer: carries the agent's message and code (used as exit code). */
export function answerError(dataDir: string, err: { message?: unknown; code?: unknown }): CliError {
  const code = typeof err.code === 'number' && err.code >= 1 && err.code <= 3 ? err.code : EXIT.badInput
  return new CliError(typeof err.message === 'string' ? err.message : `the agent on ${dataDir} refused the request`, code)
}

export async function callAgent<T = unknown>(dataDir: string, method: string, params: Record<string, unknown> = {}, opts: { timeoutMs?: number } = {}): Promise<T> {
  const socket = await connect(dataDir)
  const timeoutMs = opts.timeoutMs ?? 30_000
  return new Promise<T>((resolve, reject) => {
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
      else resolve(msg.result as T)
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

export async function subscribeAgent(dataDir: string, method: string, params: Record<string, unknown>, onEvent: (event: unknown) => void, onError?: (err: CliError) => void): Promise<Subscription> {
  const socket = await connect(dataDir)
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
  socket.on('error', () => socket.destroy())
  lines(socket, (msg) => {
    if (msg.id !== 1) return
    if (msg.error && typeof msg.error === 'object') {
      onError?.(answerError(dataDir, msg.error as Record<string, unknown>))
      socket.end()
    } else if ('event' in msg) onEvent(msg.event)
  })
  socket.write(`${JSON.stringify({ id: 1, method, params })}\n`)
  return { close: () => socket.end(), closed }
}
