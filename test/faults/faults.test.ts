/**
 * Local faults on an agent's machine, with the real parts (as root, permission bits stop nothing, so:
 * a second user, read-only bind mounts, a full tmpfs):
 * - another user cannot drive the agent through its control endpoint (socket 0600 in a 0700 dir, or in
 *   the temp dir when the data dir's path is long): refused with exit 2 and a message, nothing changes;
 * - a read-only data dir: the agent will not start on it (exit 2, names the problem and the fix); one
 *   that turns read-only under a running agent does not crash it, and it carries on once writable again;
 * - a full data dir: the agent says what is wrong and exits 2 (its database refuses writes from then on),
 *   and starts again on the same dir once space is freed;
 * - a corrupt level database: the agent says so (exit 2, the fix in the message) and, following the fix,
 *   rebuilds its ledger from its peers.
 */
import fs from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, MMESH, REPO, TEST_ENV, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { needTool } from '../support/system-tools.ts'
import { canMount, fill, readOnly, release, releaseAll, tmpfs } from './mounts.ts'

let fleet: Fleet
let a: AgentProc
let mountsOk = false
const mountTool = needTool('mount', 'makes read-only and full data dirs')
const otherUser = needTool('setpriv', 'runs the CLI as another user')
// Mounting needs root with CAP_SYS_ADMIN as well (probed in beforeAll): without it those tests skip and say so.
const NO_MOUNTS = 'mounting is not permitted here (needs root with CAP_SYS_ADMIN)'

beforeAll(async () => {
  fleet = await createFleet()
  // Other users must be able to reach the data dirs' parent to try the endpoint; the dirs stay 0700.
  fs.chmodSync(fleet.root, 0o755)
  a = await fleet.start('anchor')
  await fleet.run(['task', 'add', '--source', '\\\\fs01\\anchor', '--dest', 'https://contoso.sharepoint.com/sites/anchor'], a)
  mountsOk = !mountTool.skip && (await canMount(fleet.root))
}, 60_000)

afterAll(async () => {
  await releaseAll()
  await fleet?.cleanup()
})

const mode = (p: string) => fs.statSync(p).mode & 0o777

/** The real CLI as uid/gid 65534 (nobody), no supplementary groups. */
function asNobody(args: string[], dir: string) {
  return execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, MMESH, ...args, '--data', dir], {
    reject: false, cwd: REPO, timeout: 60_000, env: { ...process.env, ...TEST_ENV, HOME: '/tmp' },
  })
}

describe('local faults', () => {
  it.skipIf(otherUser.skip)('another user cannot drive the agent through its control endpoint', async () => {
    const long = path.join(fleet.root, 'x'.repeat(60), 'y'.repeat(40))
    fs.mkdirSync(path.dirname(long), { recursive: true })
    fs.chmodSync(path.dirname(long), 0o755)
    const b = await fleet.start('long-path', { dir: long, peers: [a], fleetKey: null })
    for (const agent of [a, b]) {
      expect(mode(agent.dir)).toBe(0o700)
      expect(mode(path.join(agent.dir, 'identity.key'))).toBe(0o600)
      const recorded = path.join(agent.dir, 'control.path')
      const sock = fs.existsSync(recorded) ? fs.readFileSync(recorded, 'utf8').trim() : path.join(agent.dir, 'control.sock')
      expect(mode(sock)).toBe(0o600)
      const before = await fleet.hash(agent)
      for (const args of [['task', 'list'], ['task', 'add', '--source', '\\\\evil\\x', '--dest', 'https://evil.sharepoint.com/sites/x'], ['agent', 'disable'], ['stop']]) {
        const r = await asNobody(args, agent.dir)
        expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(2)
        expect(r.stderr).toMatch(/permission denied on the control endpoint .* run mmesh as that user/)
      }
      expect(await fleet.hash(agent)).toBe(before)
      expect(agent.proc!.exitCode).toBeNull()
    }
    // The fleet key the agent made for itself is its owner's alone too.
    expect(mode(path.join(b.dir, 'fleet.key'))).toBe(0o600)
  })

  it('will not start on a read-only data dir, and survives its data dir turning read-only', async (ctx) => {
    if (!mountsOk) ctx.skip(mountTool.reason || NO_MOUNTS)
    const dir = fleet.tempDir('ro')
    fs.chmodSync(dir, 0o700)
    await readOnly(dir)
    const r = await fleet.run(['start', '--no-mdns', '--fleet-key', fleet.keyFile, '--listen', '/ip4/127.0.0.1/tcp/0'], dir, { timeoutMs: 20_000 })
    expect(r.exitCode, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/data dir .* is unusable \(EROFS.*\): pass --data with a writable directory/)
    await release(dir)

    const c = await fleet.start('turns-ro', { peers: [a] })
    await fleet.converged([a, c])
    await readOnly(c.dir)
    const add = await fleet.run(['task', 'add', '--source', '\\\\fs01\\ro', '--dest', 'https://contoso.sharepoint.com/sites/ro'], c)
    const w = await fleet.call(c, 'test.writeRecords', { count: 200, prefix: 'ro' }).then(() => 'ok', (e: Error) => e.message)
    console.log(JSON.stringify({ readOnlyAdd: { exit: add.exitCode, stderr: add.stderr.trim(), stdout: add.stdout.trim() }, writeRecords: w }))
    await new Promise((res) => setTimeout(res, 1500))
    expect(c.proc!.exitCode, c.stderr()).toBeNull()
    expect((await fleet.call<{ pid: number }>(c, 'status')).pid).toBeGreaterThan(0)
    await release(c.dir)
    // Writable again: it stores and replicates new changes, and the fleet agrees.
    await fleet.call(c, 'test.writeRecords', { count: 10, prefix: 'rw' })
    await fleet.converged([a, c], { timeoutMs: 30_000 })
    await fleet.kill(c, 'SIGTERM')
    await fleet.restart(c)
    await fleet.converged([a, c], { timeoutMs: 30_000 })
  }, 120_000)

  it('stops with a clear message when its data dir is full, and comes back when space is freed', async (ctx) => {
    if (!mountsOk) ctx.skip(mountTool.reason || NO_MOUNTS)
    const mnt = fleet.tempDir('full')
    await tmpfs(mnt, '8m')
    const d = await fleet.start('full', { dir: path.join(mnt, 'data'), peers: [a] })
    await fleet.converged([a, d])
    const filler = await fill(mnt)
    // Writes until the ledger database refuses one. level stays broken after a failed write, so the agent
    // must not carry on pretending its ledger is stored: it says why and exits 2.
    await fleet.call(d, 'test.writeRecords', { count: 5000, prefix: 'full' }).catch(() => undefined)
    const exit = await Promise.race([d.proc!, new Promise<null>((r) => setTimeout(() => r(null), 30_000))])
    expect(exit, 'the agent did not stop').not.toBeNull()
    expect(exit!.exitCode).toBe(2)
    expect(d.stderr()).toMatch(/cannot write the ledger database .*db \(.*No space left on device.*\): the data dir is full or not writable; free space or fix it, then start the agent again/)
    expect(d.stderr()).not.toMatch(/uncaught|unhandled/i)
    // Space freed: it starts on the same dir and the fleet agrees again (what it lost, peers had).
    fs.rmSync(filler)
    await fleet.restart(d)
    await fleet.call(d, 'test.writeRecords', { count: 10, prefix: 'after-full' })
    await fleet.converged([a, d], { timeoutMs: 30_000 })
  }, 120_000)

  it('says its level database is corrupt, and rebuilds the ledger from peers when the admin follows the fix', async () => {
    const e = await fleet.start('corrupt', { peers: [a] })
    await fleet.call(e, 'test.writeRecords', { count: 50, prefix: 'mine' })
    const hash = await fleet.converged([a, e])
    await fleet.kill(e, 'SIGTERM')
    const db = path.join(e.dir, 'db')
    for (const f of fs.readdirSync(db)) if (/\.(ldb|log)$|^MANIFEST|^CURRENT$/.test(f)) fs.writeFileSync(path.join(db, f), 'not a level database\n')
    const r = await fleet.run(['start', '--no-mdns', '--fleet-key', fleet.keyFile, '--listen', '/ip4/127.0.0.1/tcp/0'], e.dir, { timeoutMs: 20_000 })
    expect(r.exitCode, r.stderr).toBe(2)
    const fix = /move it away \(mv (\S+) (\S+)\) and start again; the agent re-syncs the ledger from its peers/.exec(r.stderr)
    expect(fix, r.stderr).not.toBeNull()
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    // Do what it says.
    fs.renameSync(fix![1]!, fix![2]!)
    await fleet.restart(e)
    // Its own records came back from the anchor (the ledger may have grown since: it writes its entry anew).
    await fleet.converged([a, e], { timeoutMs: 30_000 })
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect((await fleet.call<{ typed: unknown }>(e, 'test.read', { map: 'tasks', key: 'mine-49' })).typed).not.toBeNull()
    const [la, le] = await Promise.all([a, e].map((x) => fleet.call<{ validTasks: number }>(x, 'test.ledger')))
    expect(le!.validTasks).toBe(la!.validTasks)
  }, 120_000)
})
