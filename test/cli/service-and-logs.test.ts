/**
 * Issue 16, running as a service, with a real agent and the real CLI: `mmesh service install --dry-run`
 * prints a unit that runs `mmesh start` with the flags given; install writes it (to --unit-dir: this machine
 * has no systemd, so enabling it fails and says what to run) and uninstall removes it; a bad flag is refused
 * before anything is written; the agent logs to DIR/logs/agent.log and `mmesh logs` (and --follow) shows it.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

let fleet: Fleet
let a: AgentProc

beforeAll(async () => {
  // info: the lines `mmesh logs` is checked against ("agent started", "stopping")
  fleet = await createFleet({ env: { MMESH_LOG_LEVEL: 'info' } })
  a = await fleet.start('svc')
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

describe('mmesh service', () => {
  it('prints, writes and removes a unit that runs mmesh start with the flags given', async () => {
    const data = fleet.tempDir('svcdata')
    const units = fleet.tempDir('units')
    const dry = await fleet.run(['service', 'install', '--dry-run', '--no-mdns', '--capacity', '3', '--source-root', '/srv/shares', '--peer', '/ip4/10.0.0.5/tcp/4001'], data)
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/^# \/etc\/systemd\/system\/mmesh-[0-9a-f]{8}\.service\n/)
    const exec = dry.stdout.split('\n').find((l) => l.startsWith('ExecStart='))!
    expect(exec).toBe(`ExecStart=${process.execPath} ${path.resolve('bin/mmesh.js')} start --data ${data} --peer /ip4/10.0.0.5/tcp/4001 --no-mdns --capacity 3 --source-root /srv/shares`)
    expect(dry.stdout).toContain('Restart=on-failure')
    expect(fs.readdirSync(units)).toEqual([])

    const inst = await fleet.run(['service', 'install', '--unit-dir', units, '--user', '--dest-root', '/srv/out'], data)
    expect(inst.exitCode, inst.stderr).toBe(0)
    const [file] = fs.readdirSync(units)
    expect(file).toMatch(/^mmesh-[0-9a-f]{8}\.service$/)
    expect(fs.readFileSync(path.join(units, file!), 'utf8')).toContain('--dest-root /srv/out')
    expect(inst.stderr).toMatch(/systemctl|started/)

    const bad = await fleet.run(['service', 'install', '--unit-dir', units, '--capacityy', '3'], data)
    expect(bad.exitCode).toBe(1)
    const tui = await fleet.run(['service', 'install', '--unit-dir', units, '--tui'], data)
    expect(tui.exitCode).toBe(1)

    const un = await fleet.run(['service', 'uninstall', '--unit-dir', units, '--user'], data)
    expect(un.exitCode, un.stderr).toBe(0)
    expect(fs.readdirSync(units)).toEqual([])
    const again = await fleet.run(['service', 'uninstall', '--unit-dir', units, '--user'], data)
    expect(again.exitCode).toBe(1)
    expect(again.stderr).toMatch(/no mmesh unit for .*: nothing to remove/)
  }, 60_000)
})

describe('mmesh logs', () => {
  it("prints the agent's log from DIR/logs, and --follow shows new lines as they come", async () => {
    const b = await fleet.start('logged')
    const log = path.join(b.dir, 'logs', 'agent.log')
    expect(fs.readFileSync(log, 'utf8')).toMatch(/"msg":"agent started"/)
    expect(fs.statSync(log).mode & 0o777).toBe(0o600)
    const r = await fleet.run(['logs'], b)
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/"msg":"agent started"/)

    const child = spawn(process.execPath, [path.resolve('bin/mmesh.js'), 'logs', '--follow', '--data', b.dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let seen = ''
    child.stdout.on('data', (d: Buffer) => (seen += d.toString()))
    try {
      const deadline = Date.now() + 20_000
      while (!seen.includes('agent started') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100))
      // a new line as it comes: stopping the agent logs "stopping"
      const before = seen.length
      expect((await fleet.run(['stop'], b)).exitCode).toBe(0)
      const deadline2 = Date.now() + 20_000
      while (!seen.slice(before).includes('"msg":"stopping"') && Date.now() < deadline2) await new Promise((res) => setTimeout(res, 100))
      expect(seen.slice(before)).toContain('"msg":"stopping"')
    } finally {
      child.kill('SIGINT')
    }
    const noLogs = await fleet.run(['logs'], fleet.tempDir('empty'))
    expect(noLogs.exitCode).toBe(1)
    expect(noLogs.stderr).toMatch(/no logs in .*: start an agent there first/)
  }, 60_000)
})
