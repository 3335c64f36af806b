import fs from 'node:fs'
import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { ControlError, ControlServer } from './server.ts'
import { callAgent, callAgentUntyped, subscribeAgent } from '../../api/client.ts'
import type { FleetEvent } from '../../api/replies.ts'
import { DEFAULT_SETTINGS } from '../../protocol/settings.ts'
import { ensurePrivateSocketDir } from '../config/data-dir.ts'
import { controlSocketPath } from '../../api/data-dir.ts'
import { CliError } from '../../api/errors.ts'

const dirs: string[] = []
const servers: [ControlServer, string][] = []
afterEach(async () => {
  for (const [s, p] of servers.splice(0)) await s.close(p)
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

async function serve(dir: string): Promise<ControlServer> {
  const server = new ControlServer(pino({ level: 'silent' }))
  const sock = controlSocketPath(dir)
  await server.listen(sock)
  servers.push([server, sock])
  return server
}

const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-ctl-'))
  dirs.push(d)
  return d
}

describe('control endpoint', () => {
  it('answers requests, maps errors to exit codes, and streams events until the client closes', async () => {
    const dir = tmp()
    const server = await serve(dir)
    server.handleUntyped('test.echo', (p) => ({ got: p.x }))
    server.handleUntyped('test.fail', () => {
      throw new ControlError('no such task', 1)
    })
    let cleaned = false
    server.handleStream('fleet.watch', ({ intervalMs }, emit) => {
      let n = 0
      const t = setInterval(() => emit({ type: 'delta', at: String(n++), agents: [], live: {}, settings: DEFAULT_SETTINGS, tasks: [], removed: [] }), intervalMs)
      return () => {
        clearInterval(t)
        cleaned = true
      }
    })
    expect(fs.statSync(controlSocketPath(dir)).mode & 0o777).toBe(0o600)
    expect(await callAgentUntyped(dir, 'test.echo', { x: 42 })).toEqual({ got: 42 })
    const err = (await callAgentUntyped(dir, 'test.fail').then(() => null, (e: unknown) => e)) as CliError
    expect(err).toBeInstanceOf(CliError)
    expect(err.exitCode).toBe(1)
    expect(err.message).toBe('no such task')
    const unknown = (await callAgentUntyped(dir, 'nope').then(() => null, (e: unknown) => e)) as CliError
    expect(unknown.message).toMatch(/unknown control method nope/)

    const events: FleetEvent[] = []
    const sub = await subscribeAgent(dir, 'fleet.watch', { intervalMs: 100 }, (e) => events.push(e))
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now()
      const check = () => (events.length >= 3 ? resolve() : Date.now() - t0 > 5000 ? reject(new Error('no events')) : setTimeout(check, 10))
      check()
    })
    expect(events[0]).toMatchObject({ type: 'delta', at: '0' })
    sub.close()
    await sub.closed
    const t0 = Date.now()
    while (!cleaned && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10))
    expect(cleaned).toBe(true)
  })

  it('parses every request with its method\'s schema and refuses a bad one in one line naming the method and the field', async () => {
    const dir = tmp()
    const server = await serve(dir)
    const seen: unknown[] = []
    server.handle('task.show', (p) => {
      seen.push(p)
      throw new ControlError(`no task ${p.id}`)
    })
    server.handle('settings.set', (p) => ({ key: p.key, value: p.value }))
    server.handle('agent.setEnabled', (p) => ({ id: p.agent ?? 'self', name: 'a', host: 'h', group: 'g', state: p.enabled ? 'online' : 'disabled', capacity: 1, running: 0, lastSeen: null, catchingUp: null }))
    server.handle('report.write', (p) => ({ dir: p.outDir, files: [], warnings: [JSON.stringify(p.filter)], tasks: 0, items: 0 }))
    server.handleStream('fleet.watch', () => undefined)
    const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as CliError)

    for (const [params, line] of [
      [{}, 'task.show: id: expected a non-empty string'],
      [{ id: '' }, 'task.show: id: expected a non-empty string'],
      [{ id: 42 }, 'task.show: id: expected a non-empty string'],
    ] as const) {
      const e = await refusal(callAgentUntyped(dir, 'task.show', params))
      expect(e).toBeInstanceOf(CliError)
      expect(e!.message).toBe(line)
      expect(e!.exitCode).toBe(1)
    }
    expect((await refusal(callAgentUntyped(dir, 'task.show', 'abc' as never)))!.message).toBe('task.show: params: expected an object, got a string ("abc")')
    expect(seen).toEqual([]) // no handler saw a bad request
    expect((await refusal(callAgent(dir, 'task.show', { id: 'abcd' })))!.message).toBe('no task abcd')
    expect(seen).toEqual([{ id: 'abcd' }])

    // every field at fault, in one line; a value of the right shape passes through (normalised)
    expect((await refusal(callAgentUntyped(dir, 'agent.setEnabled', { agent: 7, enabled: 'yes' })))!.message).toBe(
      'agent.setEnabled: agent: expected a string, got a number (7); enabled: expected true or false',
    )
    expect(await callAgentUntyped(dir, 'settings.set', { key: 'ScanOnly', value: true })).toEqual({ key: 'ScanOnly', value: 'true' })
    expect((await refusal(callAgentUntyped(dir, 'settings.set', { key: 'ScanOnly', value: ['x'] })))!.message).toMatch(/^settings\.set: value: /)
    expect((await refusal(callAgentUntyped(dir, 'report.write', { outDir: 'rel', statuses: ['done'], since: 'yesterday' })))!.message).toBe(
      'report.write: outDir: must be an absolute path: give --out DIR; statuses[0]: "done" is not a task status: use queued, scanning, in-progress, paused, completed, failed or cancelled; since: "yesterday" is not a date: use YYYY-MM-DD or a full ISO 8601 time such as 2024-01-31T08:00:00Z',
    )
    const ok = await callAgent(dir, 'report.write', { outDir: '/tmp/r', statuses: ['In progress'], since: '2026-01-01' })
    expect(JSON.parse(ok.warnings[0]!)).toEqual({ taskIds: [], statuses: ['in-progress'], since: '2026-01-01T00:00:00.000Z' })

    // a stream's params too
    const streamErr = await new Promise<CliError>((resolve) => void subscribeAgent(dir, 'fleet.watch', { intervalMs: 'fast' } as never, () => {}, resolve))
    expect(streamErr.message).toBe('fleet.watch: intervalMs: expected a number, got a string ("fast")')

    // methods of the control API are registered typed only; a test hook cannot take their names
    expect(() => server.handleUntyped('task.list', () => [])).toThrow(/part of the control API/)
  })

  it('no socket, or a leftover socket nobody listens on: exit 3 at once, saying how to start one', async () => {
    const dir = tmp()
    const e1 = (await callAgent(dir, 'status').then(() => null, (e: unknown) => e)) as CliError
    expect(e1.exitCode).toBe(3)
    expect(e1.message).toMatch(`mmesh start --data ${dir}`)
    // a socket file left by a process killed with -9
    const sock = controlSocketPath(dir)
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`])
    await new Promise<void>((r) => child.stdout.once('data', () => r()))
    child.kill('SIGKILL')
    await new Promise<void>((r) => child.once('exit', () => r()))
    expect(fs.existsSync(sock)).toBe(true)
    const t0 = Date.now()
    const e2 = (await callAgent(dir, 'status', {}, { timeoutMs: 30_000 }).then(() => null, (e: unknown) => e)) as CliError
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(e2.exitCode).toBe(3)
  })

  it('puts the socket under the temp dir when DIR is too deep for a socket path', () => {
    const deep = path.join('/tmp', 'x'.repeat(120))
    const p = controlSocketPath(deep)
    expect(Buffer.byteLength(p)).toBeLessThanOrEqual(100)
    expect(p).toBe(controlSocketPath(deep))
    expect(controlSocketPath('/tmp/short')).toBe('/tmp/short/control.sock')
  })

  it('keeps a socket outside DIR in a directory of the user\'s own, and refuses one that is not', (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip() // chown to another user needs root
    const base = tmp()
    const deep = path.join(base, 'x'.repeat(120))
    const sock = controlSocketPath(deep)
    const own = path.join(base, 'own', path.basename(sock))
    ensurePrivateSocketDir(own, deep)
    expect(fs.statSync(path.dirname(own)).mode & 0o777).toBe(0o700)
    // someone else's directory, one open to others, a symlink: each refused with the fix named
    const theirs = path.join(base, 'theirs')
    fs.mkdirSync(theirs, { mode: 0o700 })
    fs.chownSync(theirs, 65534, 65534)
    expect(() => ensurePrivateSocketDir(path.join(theirs, 'a.sock'), deep)).toThrow(/not private to you \(owner uid 65534.*set TMPDIR/)
    const open = path.join(base, 'open')
    fs.mkdirSync(open)
    fs.chmodSync(open, 0o777)
    expect(() => ensurePrivateSocketDir(path.join(open, 'a.sock'), deep)).toThrow(/mode 777/)
    const link = path.join(base, 'link')
    fs.symlinkSync(path.dirname(own), link)
    expect(() => ensurePrivateSocketDir(path.join(link, 'a.sock'), deep)).toThrow(/not a directory/)
  })

  it('a CLI command refuses a control socket that belongs to another user', async (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip()
    const dir = tmp()
    const server = await serve(dir)
    server.handleUntyped('test.status', () => ({ fake: true }))
    expect(await callAgentUntyped(dir, 'test.status')).toEqual({ fake: true })
    fs.chownSync(controlSocketPath(dir), 65534, 65534)
    const e = (await callAgentUntyped(dir, 'test.status').then(() => null, (err: unknown) => err)) as CliError
    expect(e).toBeInstanceOf(CliError)
    expect(e.exitCode).toBe(2)
    expect(e.message).toMatch(/belongs to uid 65534, not to you/)
  })
})
