/**
 * The local control endpoint: a Unix socket only the local user can use (mode 0600 in a 0700 dir),
 * speaking JSON lines. Request `{id, method, params}` → `{id, result}` or `{id, error: {message, code}}`;
 * a stream method pushes `{id, event}` lines until the client closes the connection.
 *
 * Methods are those of the control API (api/methods.ts): `handle` takes a handler typed by the method's
 * schema, and every request's params are parsed here, in one place, before a handler sees them. A bad
 * request is answered with one line naming the method and the field (`task.show: id: expected a
 * non-empty string`), exit code 1. Test hooks add methods outside the API with `handleUntyped`.
 */
import fs from 'node:fs'
import net from 'node:net'
import type { Logger } from 'pino'
import type { z } from 'zod'
import { CONTROL_METHODS, CONTROL_STREAMS, type EventOf, type MethodName, type Params, type Reply, type StreamName } from '../../api/methods.ts'

export interface ControlContext {
  /** aborted when the client goes away */
  signal: AbortSignal
}
type MaybePromise<T> = T | Promise<T>

/**
 * A reply already encoded as JSON (of the method's reply type), written as it is: a handler that builds a
 * very large reply (`task.list` of 100,000 tasks, 74 MB) encodes it a slice at a time, between other
 * requests, where one JSON.stringify of the whole held the agent for seconds.
 */
export class EncodedJson {
  constructor(readonly text: string) {}
}

export type MethodHandler<M extends MethodName> = (params: Params<M>, ctx: ControlContext) => MaybePromise<Reply<M> | EncodedJson>
/** Starts pushing events; returns the cleanup called when the client closes. */
export type StreamHandler<S extends StreamName> = (params: Params<S>, emit: (event: EventOf<S>) => void, signal: AbortSignal) => (() => void) | void
/** A method outside the control API (test hooks): its params arrive as sent. */
export type UntypedHandler = (params: Record<string, unknown>, ctx: ControlContext) => unknown

type Call = (params: unknown, ctx: ControlContext) => unknown
type Stream = (params: unknown, emit: (event: unknown) => void, signal: AbortSignal) => (() => void) | void

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
  private readonly handlers = new Map<string, Call>()
  private readonly streams = new Map<string, Stream>()
  private server: net.Server | null = null
  private readonly sockets = new Set<net.Socket>()

  /** `onEncodedReply`: a reply sent as text built ahead (`task list` of 100,000 tasks: 74 MB), with its length */
  constructor(
    private readonly log: Logger,
    private readonly onEncodedReply: (chars: number) => void = () => {},
  ) {}

  handle<M extends MethodName>(method: M, handler: MethodHandler<M>): void {
    const schema: z.ZodType = CONTROL_METHODS[method].params
    this.claim(method)
    this.handlers.set(method, (raw, ctx) => handler(parseParams(method, schema, raw) as Params<M>, ctx))
  }

  handleStream<S extends StreamName>(method: S, handler: StreamHandler<S>): void {
    const schema: z.ZodType = CONTROL_STREAMS[method].params
    this.claim(method)
    this.streams.set(method, (raw, emit, signal) => handler(parseParams(method, schema, raw) as Params<S>, emit, signal))
  }

  /** A method outside the control API, for test hooks only: no schema, the handler checks its params. */
  handleUntyped(method: string, handler: UntypedHandler): void {
    if (Object.hasOwn(CONTROL_METHODS, method) || Object.hasOwn(CONTROL_STREAMS, method)) throw new Error(`control method ${method} is part of the control API: register it with handle()`)
    this.claim(method)
    this.handlers.set(method, (raw, ctx) => handler((typeof raw === 'object' ? raw : {}) as Record<string, unknown>, ctx))
  }

  private claim(method: string): void {
    if (this.handlers.has(method) || this.streams.has(method)) throw new Error(`control method ${method} is registered already`)
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
      if (socket.destroyed) return
      const { id, result } = obj as { id?: unknown; result?: unknown }
      if (!(result instanceof EncodedJson)) return void socket.write(`${JSON.stringify(obj)}\n`)
      socket.write(`{"id":${JSON.stringify(id ?? null)},"result":${result.text}}\n`)
      this.onEncodedReply(result.text.length)
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
    // No params is no params; anything else goes to the method's schema as sent.
    const params = req.params === undefined || req.params === null ? {} : req.params
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

/**
 * The one place a request's params are checked: parsed by the method's schema, or refused with one line
 * that names the method and every field at fault.
 */
function parseParams(method: string, schema: z.ZodType, raw: unknown): unknown {
  const r = schema.safeParse(raw, { error: describeIssue })
  if (r.success) return r.data
  const problems = r.error.issues.map((i) => `${fieldPath(i.path) || 'params'}: ${i.message}`)
  throw new ControlError(`${method}: ${problems.join('; ')}`, 1)
}

function fieldPath(path: PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i > 0 ? '.' : ''}${String(k)}`)).join('')
}

/** Plain words for zod's issues (a schema's own message, when it has one, wins over these). */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') return `expected ${ARTICLE[issue.expected] ?? issue.expected}, got ${kindOf(issue.input)}`
  return undefined
}

const ARTICLE: Record<string, string> = { string: 'a string', number: 'a number', boolean: 'true or false', object: 'an object', array: 'a list', record: 'an object' }

function kindOf(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`
  if (typeof v === 'object') return 'an object'
  return `${typeof v === 'number' ? 'a number' : typeof v} (${String(v)})`
}

function errorBody(err: unknown): { message: string; code: number } {
  if (err instanceof ControlError) return { message: err.message, code: err.code }
  return { message: err instanceof Error ? err.message : String(err), code: 1 }
}
