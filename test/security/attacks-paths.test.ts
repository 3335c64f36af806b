/**
 * Issue 15, where agents read and write: attacks by a fleet member, through the CLI and as signed task
 * records written straight into the ledger (test.signedTask: what any holder of the fleet key can do,
 * past every check of `task add`). Each is refused or harmless: nothing is written outside the agents'
 * dest roots, and nothing of an agent's data dir (identity key, fleet key, config, ledger) leaves it.
 *
 *   a  (narrow roots)            source ROOT/shares, dest ROOT/out; data dir ROOT/a-…
 *   b  (other shares)            source ROOT/b-shares, dest ROOT/out; data dir ROOT/b-…
 *   c  (data dir inside a root)  source ROOT/c-home, dest ROOT/out; data dir ROOT/c-home/.mmesh, as
 *                                `npm start` has it (--source-root $HOME, data in ~/.mmesh)
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

let fleet: Fleet
let a: AgentProc, b: AgentProc, c: AgentProc
let ROOT: string, shares: string, out: string

interface Shown {
  id: string
  status: string
  agent: string | null
  startedAt: string | null
  waitingReason: string | null
  failureReason: string | null
  counts: { scanned: number; migrated: number; skipped: number; failed: number }
}

const DATA_DIR_FILES = new Set(['identity.key', 'fleet.key', 'config.json', 'agent.lock', 'control.sock', 'db', 'copy-log.jsonl', 'work-log.jsonl'])

/** Every path under `dir` (links not followed). */
function walk(dir: string): string[] {
  const found: string[] = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    found.push(p)
    if (e.isDirectory()) found.push(...walk(p))
  }
  return found
}

function file(url: string, library: string | null = null, folder: string | null = null) {
  return { url, library, folder }
}

const show = (id: string, agent = a) => fleet.call<Shown>(agent, 'task.show', { id })

/** Waits until the task's waiting reason says every part of `why`; then checks it never ran. */
async function refused(id: string, why: RegExp[]): Promise<Shown> {
  const t = await waitFor(async () => {
    const v = await show(id)
    return v.waitingReason && why.every((w) => w.test(v.waitingReason!)) ? v : null
  }, { timeoutMs: 30_000, message: `task ${id} to wait, saying ${why.join(', ')}` })
  expect(t.status).toBe('queued')
  expect(t.agent).toBeNull()
  expect(t.startedAt).toBeNull()
  return t
}

async function completed(id: string, timeoutMs = 60_000): Promise<Shown> {
  return waitFor(async () => {
    const v = await show(id)
    if (v.status === 'failed') throw new Error(`task ${id} failed: ${v.failureReason}`)
    return v.status === 'completed' ? v : null
  }, { timeoutMs, message: `task ${id} to complete` })
}

async function refusedByCli(args: string[], agent: AgentProc, problem: RegExp): Promise<void> {
  const before = await fleet.hash(agent)
  const r = await fleet.run(['task', 'add', ...args], agent)
  expect(r.exitCode, r.stderr).toBe(1)
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1)
  expect(r.stderr).toMatch(problem)
  expect(await fleet.hash(agent), 'the ledger changed').toBe(before)
}

beforeAll(async () => {
  fleet = await createFleet()
  ROOT = fleet.root
  shares = path.join(ROOT, 'shares')
  out = path.join(ROOT, 'out')
  for (const d of [shares, out, path.join(ROOT, 'b-shares'), path.join(ROOT, 'c-home')]) fs.mkdirSync(d)
  a = await fleet.start('a', { roots: { source: [shares], dest: [out] } })
  b = await fleet.start('b', { peers: [a], roots: { source: [path.join(ROOT, 'b-shares')], dest: [out] } })
  c = await fleet.start('c', { peers: [a], dir: path.join(ROOT, 'c-home', '.mmesh'), roots: { source: [path.join(ROOT, 'c-home')], dest: [out] } })
  await waitFor(async () => (await fleet.call<{ state: string }[]>(b, 'agents.list')).filter((x) => x.state === 'online').length === 3, { timeoutMs: 30_000, message: 'three agents online' })
}, 120_000)

afterAll(async () => {
  // Whatever a test did: nothing of any data dir under the dest root, nothing written next to it.
  if (out) {
    const leaked = walk(out).filter((p) => DATA_DIR_FILES.has(path.basename(p)))
    expect(leaked).toEqual([])
  }
  await fleet?.cleanup()
})

describe('a source in another agent\'s data dir', () => {
  it("task add on b refuses a's data dir as source (no agent may read it): exit 1, one line, nothing added", async () => {
    await refusedByCli(['--source', a.dir, '--dest', `file://${out}`], b, /no agent of group Default may read/)
  })

  it('as a signed record it never runs: a refuses its own data dir, the others have no root there', async () => {
    const { id } = await fleet.call<{ id: string }>(b, 'test.signedTask', { spec: { source: a.dir, destination: file(`file://${out}`, null, 'loot-a') } })
    await refused(id, [/a: source \S+ is this agent's own data dir/, /b: source \S+ is outside this agent's source roots/])
  })

  it('an agent never reads its data dir even inside its own source root, nor a folder that holds it', async () => {
    const { id } = await fleet.call<{ id: string }>(b, 'test.signedTask', { spec: { source: c.dir, destination: file(`file://${out}`, null, 'loot-c') } })
    const { id: parent } = await fleet.call<{ id: string }>(b, 'test.signedTask', { spec: { source: path.dirname(c.dir), destination: file(`file://${out}`, null, 'loot-c-home') } })
    await refused(id, [/c: source \S+ is this agent's own data dir or holds it/])
    await refused(parent, [/c: source \S+ is this agent's own data dir or holds it/])
    for (const loot of ['loot-a', 'loot-c', 'loot-c-home']) expect(fs.existsSync(path.join(out, loot))).toBe(false)
  })
})

describe('symbolic links out of an allowed root', () => {
  it('a source that is a root\'s link to /etc waits, saying it leads outside; /etc is never copied', async () => {
    const link = path.join(shares, 'etc-link')
    fs.symlinkSync('/etc', link)
    fs.mkdirSync(path.join(out, 'etc'))
    // task add judges from the ledger alone: the link is resolved by the agent that would read it.
    const add = await fleet.run(['task', 'add', '--source', link, '--dest', `file://${out}/etc`], a)
    expect(add.exitCode, add.stderr).toBe(0)
    await refused(add.stdout.trim(), [/a: source \/etc is outside this agent's source roots .*leads there through a symbolic link/])
    expect(fs.readdirSync(path.join(out, 'etc'))).toEqual([])
  })

  it('links inside a share are skipped items, never followed; the rest of the share is copied', async () => {
    const src = path.join(shares, 'linked')
    fs.mkdirSync(src)
    fs.writeFileSync(path.join(src, 'real.txt'), 'real\n')
    fs.symlinkSync('/etc', path.join(src, 'etc-dir'))
    fs.symlinkSync('/etc/passwd', path.join(src, 'passwd'))
    fs.mkdirSync(path.join(out, 'linked'))
    const add = await fleet.run(['task', 'add', '--source', src, '--dest', `file://${out}/linked`], a)
    expect(add.exitCode, add.stderr).toBe(0)
    const t = await completed(add.stdout.trim())
    expect(t.counts.skipped).toBe(2)
    expect(fs.readFileSync(path.join(out, 'linked', 'real.txt'), 'utf8')).toBe('real\n')
    expect(walk(out).filter((p) => ['passwd', 'etc-dir', 'shadow', 'hostname'].includes(path.basename(p)))).toEqual([])
  })

  it('a destination that is a dest root\'s link to elsewhere waits; nothing lands there', async () => {
    const elsewhere = fleet.tempDir('elsewhere')
    fs.symlinkSync(elsewhere, path.join(out, 'away'))
    const src = path.join(shares, 'to-away')
    fs.mkdirSync(src)
    fs.writeFileSync(path.join(src, 'f.txt'), 'f\n')
    const add = await fleet.run(['task', 'add', '--source', src, '--dest', `file://${out}/away`], a)
    expect(add.exitCode, add.stderr).toBe(0)
    await refused(add.stdout.trim(), [/a: destination \S+ is outside this agent's dest roots .*leads there through a symbolic link/])
    expect(fs.readdirSync(elsewhere)).toEqual([])
  })
})

describe('".." in the destination, library and folder', () => {
  let src: string
  beforeAll(() => {
    src = path.join(shares, 'dots')
    fs.mkdirSync(src)
    fs.writeFileSync(path.join(src, 'secret-plan.txt'), 'plan\n')
  })

  it('task add refuses each: exit 1, one line, nothing added', async () => {
    await refusedByCli(['--source', src, '--dest', `file://${out}/../escaped`], a, /dest: the folder path must not contain "\." or "\.\." segments/)
    await refusedByCli(['--source', src, '--dest', `file://${out}/%2e%2e/escaped`], a, /dest: the folder path must not contain/)
    await refusedByCli(['--source', src, '--dest', `file://${out}`, '--library', '..'], a, /library: "\." and "\.\." are not names/)
    await refusedByCli(['--source', src, '--dest', `file://${out}`, '--folder', '../../../tmp/loot'], a, /folder: must not contain "\." or "\.\." segments/)
  }, 120_000)

  it('as signed records the agents refuse them as not valid, and nothing is written outside the dest root', async () => {
    const tag = path.basename(ROOT)
    const records = [
      { what: 'folder', destination: file(`file://${out}`, null, `../../${tag}-loot-folder`), escaped: path.resolve(out, `../../${tag}-loot-folder`) },
      { what: 'library', destination: file(`file://${out}/lib`, '..', null), escaped: path.join(out, 'secret-plan.txt') },
      { what: 'dest', destination: file(`file://${out}/../${tag}-loot-dest`), escaped: path.resolve(out, `../${tag}-loot-dest`) },
    ]
    fs.mkdirSync(path.join(out, 'lib'))
    for (const r of records) {
      const { id } = await fleet.call<{ id: string }>(b, 'test.signedTask', { spec: { source: src, destination: r.destination } })
      await refused(id, [new RegExp(`a: the task's record is not valid: ${r.what}`)])
      expect(fs.existsSync(r.escaped), r.escaped).toBe(false)
    }
    expect(walk(out).filter((p) => path.basename(p) === 'secret-plan.txt')).toEqual([])
  })
})

describe('a FIFO in the source', () => {
  it('is a skipped item: the task completes instead of waiting for a writer', async () => {
    const src = path.join(shares, 'with-fifo')
    fs.mkdirSync(src)
    fs.writeFileSync(path.join(src, 'before.txt'), 'before\n')
    execFileSync('mkfifo', [path.join(src, 'pipe')])
    fs.writeFileSync(path.join(src, 'zafter.txt'), 'after\n')
    fs.mkdirSync(path.join(out, 'fifo'))
    const add = await fleet.run(['task', 'add', '--source', src, '--dest', `file://${out}/fifo`], a)
    expect(add.exitCode, add.stderr).toBe(0)
    // Bounded: an agent stuck opening the FIFO never completes the task, and this fails.
    const t = await completed(add.stdout.trim(), 60_000)
    expect(t.counts.skipped).toBe(1)
    expect(t.counts.failed).toBe(0)
    expect(fs.readdirSync(path.join(out, 'fifo')).sort()).toEqual(['before.txt', 'zafter.txt'])
  }, 90_000)
})
