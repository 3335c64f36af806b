import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { generateFleetKey, parseFleetKey, resolveFleetKey } from './fleet-key.ts'
import { listenAddresses, mergeSettings, parseMap } from './agent-config.ts'
import { lockDataDir } from './lock.ts'
import { loadOrCreateIdentity } from './identity.ts'
import { CliError } from '../../api/errors.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-cfg-'))
  dirs.push(d)
  return d
}

describe('fleet key', () => {
  it('generates the libp2p PSK format and parses it back', () => {
    const text = generateFleetKey()
    expect(text).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    expect(parseFleetKey(text).ok).toBe(true)
    expect(parseFleetKey('/key/swarm/psk/1.0.0/\n/base16/\nabc\n')).toMatchObject({ ok: false, reason: expect.stringMatching(/64 hex/) })
    expect(parseFleetKey('hello').ok).toBe(false)
  })

  it('creates DIR/fleet.key once, mode 0600, with a notice', () => {
    const dir = tmp()
    const notices: string[] = []
    const k1 = resolveFleetKey(dir, undefined, (m) => notices.push(m))
    const k2 = resolveFleetKey(dir, undefined, (m) => notices.push(m))
    expect(Buffer.from(k1.psk)).toEqual(Buffer.from(k2.psk))
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatch(/every other agent/)
    expect(fs.statSync(path.join(dir, 'fleet.key')).mode & 0o777).toBe(0o600)
  })
})

describe('identity', () => {
  it('is created once (0600) and reloaded as the same key', async () => {
    const dir = tmp()
    const a = await loadOrCreateIdentity(dir)
    const b = await loadOrCreateIdentity(dir)
    expect(a.equals(b)).toBe(true)
    expect(fs.statSync(path.join(dir, 'identity.key')).mode & 0o777).toBe(0o600)
  })
})

describe('agent config', () => {
  it('flags win over saved values, saved over defaults', () => {
    expect(mergeSettings({}, {})).toMatchObject({ name: os.hostname(), group: 'Default', capacity: 5, leaseTtlSeconds: 30, maps: [] })
    expect(mergeSettings({ name: 'saved', capacity: 2 }, { capacity: 9 })).toMatchObject({ name: 'saved', capacity: 9 })
  })

  it('reuses the saved port for a port-0 listen address on the same host', () => {
    expect(listenAddresses(undefined, undefined)).toEqual(['/ip4/0.0.0.0/tcp/0'])
    expect(listenAddresses(undefined, ['/ip4/127.0.0.1/tcp/4242'])).toEqual(['/ip4/127.0.0.1/tcp/4242'])
    expect(listenAddresses(['/ip4/127.0.0.1/tcp/0'], ['/ip4/127.0.0.1/tcp/4242'])).toEqual(['/ip4/127.0.0.1/tcp/4242'])
    expect(listenAddresses(['/ip4/10.0.0.1/tcp/0'], ['/ip4/127.0.0.1/tcp/4242'])).toEqual(['/ip4/10.0.0.1/tcp/0'])
    expect(listenAddresses(['/ip4/127.0.0.1/tcp/5000'], ['/ip4/127.0.0.1/tcp/4242'])).toEqual(['/ip4/127.0.0.1/tcp/5000'])
  })

  it('parses --map at the first =', () => {
    expect(parseMap('\\\\fs01\\dept=/mnt/fs01/dept')).toEqual({ source: '\\\\fs01\\dept', local: '/mnt/fs01/dept' })
    expect(() => parseMap('nothing')).toThrow(CliError)
  })
})

describe('data dir lock', () => {
  it('refuses a second holder with exit 2 and takes over a dead holder', () => {
    const dir = tmp()
    const lock = lockDataDir(dir)
    expect(fs.readFileSync(path.join(dir, 'agent.lock'), 'utf8').trim()).toBe(String(process.pid))
    lock.release()
    expect(fs.existsSync(path.join(dir, 'agent.lock'))).toBe(false)
    // a lock left by a process that is gone
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })
    fs.writeFileSync(path.join(dir, 'agent.lock'), `${dead.stdout.trim()}\n`)
    const again = lockDataDir(dir)
    expect(fs.readFileSync(path.join(dir, 'agent.lock'), 'utf8').trim()).toBe(String(process.pid))
    again.release()
    // a live other holder
    fs.writeFileSync(path.join(dir, 'agent.lock'), `1\n`)
    expect(() => lockDataDir(dir)).toThrow(/in use by another mmesh agent \(pid 1\)/)
  })
})
