/**
 * The local control endpoint: a Unix socket only the local user can use (mode 0600 in a 0700 dir),
 * speaking JSON lines. Request `{id, method, params}` → `{id, result}` or `{id, error: {message, code}}`;
 * a stream method pushes `{id, event}` lines until the client closes the connection.
 */
import fs from 'node:fs'
import net from 'node:net'
import type { Logger } from 'pino'

export interface ControlContext {
  /** aborted when the client goes away */
  signal: AbortSignal
}
export type ControlHandler = (params: Record<string, unknown>, ctx: ControlContext) => Promise<unknown> | unknown
/** Starts pushing events; returns the cleanup called when the client closes. */
export type StreamHandler = (params: Record<string, unknown>, emit: (event: unknown) => void, signal: AbortSignal) => (() => void) | void

/** An error with a code the client maps to an exit code (1 bad input by default). */
export class ControlError extends Error {
  override name = 'ControlError'
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message)
  }
}

// Room for the largest request: a 50 MB import file travels as base64 (about 67 MB) in one line.
const MAX_LINE = 72 * 1024 * 1024

export class ControlServer {
  private readonly handlers = new Map<string, ControlHandler>()
  private readonly streams = new Map<string, StreamHandler>()
  private server: net.Server | null = null
  private readonly sockets = new Set<net.Socket>()

  constructor(private readonly log: Logger) {}

  handle(method: string, handler: ControlHandler): void {
    if (this.handlers.has(method) || this.streams.has(method)) throw new Error(`control method ${method} is registered already`)
    this.handlers.set(method, handler)
  }

  handleStream(method: string, handler: StreamHandler): void {
    if (this.handlers.has(method) || this.streams.has(method)) throw new Error(`control method ${method} is registered already`)
    this.streams.set(method, handler)
  }

  methods(): string[] {
    return [...this.handlers.keys(), ...this.streams.keys()].sort()
  }

  /** Listens on `socketPath`; a leftover socket file is removed first (the caller holds the dir lock). */
  async listen(socketPath: string): Promise<void> {
    try {
      fs.unlinkSync(socketPath)
    } catch {
      /* none left over */
    }
    const server = net.createServer((socket) => this.onConnection(socket))
    const oldMask = process.umask(0o177)
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(socketPath, () => {
          server.off('error', reject)
          resolve()
        })
      })
    } finally {
      process.umask(oldMask)
    }
    fs.chmodSync(socketPath, 0o600)
    this.server = server
  }

  async close(socketPath: string): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    try {
      fs.unlinkSync(socketPath)
    } catch {
      /* gone */
    }
  }

  private onConnection(socket: net.Socket): void {
    this.sockets.add(socket)
    const abort = new AbortController()
    const cleanups: (() => void)[] = []
    let buf = ''
    socket.setEncoding('utf8')
    const send = (obj: unknown) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(obj)}\n`)
    }
    socket.on('data', (chunk: string) => {
      buf += chunk
      if (buf.length > MAX_LINE) {
        socket.destroy()
        return
      }
      // Look for line ends only when this chunk brought one: rescanning a long line on every chunk is quadratic.
      if (!chunk.includes('\n')) return
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (line.trim()) void this.dispatch(line, send, abort.signal, cleanups)
      }
    })
    const done = () => {
      this.sockets.delete(socket)
      abort.abort()
      for (const c of cleanups) {
        try {
          c()
        } catch {
          /* a cleanup must not stop the others */
        }
      }
    }
    socket.on('close', done)
    socket.on('error', () => socket.destroy())
  }

  private async dispatch(line: string, send: (o: unknown) => void, signal: AbortSignal, cleanups: (() => void)[]): Promise<void> {
    let req: { id?: unknown; method?: unknown; params?: unknown }
    try {
      req = JSON.parse(line)
    } catch {
      send({ id: null, error: { message: 'request is not JSON', code: 1 } })
      return
    }
    const id = req.id ?? null
    const method = typeof req.method === 'string' ? req.method : ''
    const params = (req.params && typeof req.params === 'object' ? req.params : {}) as Record<string, unknown>
    const stream = this.streams.get(method)
    if (stream) {
      try {
        const cleanup = stream(params, (event) => send({ id, event }), signal)
        if (cleanup) cleanups.push(cleanup)
      } catch (err) {
        send({ id, error: errorBody(err) })
      }
      return
    }
    const handler = this.handlers.get(method)
    if (!handler) {
      send({ id, error: { message: `unknown control method ${method || '(none)'}`, code: 1 } })
      return
    }
    try {
      const result = await handler(params, { signal })
      send({ id, result: result ?? null })
    } catch (err) {
      if (!(err instanceof ControlError)) this.log.warn({ method, err: (err as Error).message }, 'control method failed')
      send({ id, error: errorBody(err) })
    }
  }
}

function errorBody(err: unknown): { message: string; code: number } {
  if (err instanceof ControlError) return { message: err.message, code: err.code }
  return { message: err instanceof Error ? err.message : String(err), code: 1 }
}
