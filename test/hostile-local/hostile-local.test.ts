/**
 * Bad local input through the real CLI (corpus.ts, plus the import files of test/fixtures/hostile-inputs):
 * every case is answered by a non-zero exit and a short message naming the problem (and the fix where
 * the corpus says one), and the ledger of the running agent is unchanged afterwards (content hash).
 * Formula-like values that an import accepts come out of the CSV reports escaped.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { AGENT_CASES, CONFIG_CASES, START_CASES, type CliCase } from './corpus.ts'

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/hostile-inputs')
const importCases = (JSON.parse(fs.readFileSync(path.join(FIXTURES, 'cases.json'), 'utf8')) as { cases: { file: string; errors?: string[]; tasks?: number }[] }).cases

let fleet: Fleet
let agent: AgentProc
let tmp: string, src: string, dest: string

beforeAll(async () => {
  // Extensions on (the task service answers task and settings commands); no task is runnable, so the
  // ledger only changes when a command changes it.
  fleet = await createFleet()
  // A map for the \\fs01 share the import tests name: an import no agent may run is refused.
  agent = await fleet.start('local', { args: ['--map', `\\\\fs01=${fleet.tempDir('mnt-fs01')}`] })
  tmp = fleet.tempDir('tmp')
  src = fleet.tempDir('src')
  dest = fleet.tempDir('dest')
  fs.writeFileSync(path.join(tmp, 'bad.pem'), 'not a certificate\n')
  fs.writeFileSync(path.join(tmp, 'bad.key'), '/key/swarm/psk/1.0.0/\n/base16/\nzz\n')
}, 60_000)

afterAll(async () => {
  await fleet?.cleanup()
})

const fill = (args: string[]) => args.map((a) => a.replace(/^SRC$/, src).replace('file://DEST', `file://${dest}`).replace(/^TMP/, tmp))

/** Short: the answer is a line or two (the second a usage hint), not a stack trace. */
function expectShort(stderr: string, c: { name: string }) {
  const lines = stderr.trim().split('\n')
  expect(lines.length, `${c.name}: ${stderr}`).toBeLessThanOrEqual(2)
  expect(stderr, c.name).not.toMatch(/\n\s+at /)
}

async function expectRefused(c: CliCase, args: string[]) {
  const before = await fleet.hash(agent)
  const r = await fleet.run(args, agent)
  expect(r.exitCode, `${c.name}: exit ${r.exitCode}\n${r.stderr}`).toBe(1)
  expect(r.stderr, c.name).toMatch(c.problem)
  if (c.fix) expect(r.stderr, c.name).toMatch(c.fix)
  expectShort(r.stderr, c)
  expect(await fleet.hash(agent), `${c.name}: ledger changed`).toBe(before)
}

/** Runs CLI checks a few at a time (each CLI start costs seconds); the ledger must not move across a batch. */
async function inBatches<T>(items: T[], size: number, check: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) {
    const before = await fleet.hash(agent)
    await Promise.all(items.slice(i, i + size).map(check))
    expect(await fleet.hash(agent), 'the ledger changed').toBe(before)
  }
}

describe('bad input from the shell', () => {
  it(`refuses every bad command, flag and setting (${AGENT_CASES.length} cases)`, async () => {
    await inBatches(AGENT_CASES, 3, async (c) => {
      const r = await fleet.run(fill(c.args), agent)
      expect(r.exitCode, `${c.name}: exit ${r.exitCode}\n${r.stderr}`).toBe(1)
      expect(r.stderr, c.name).toMatch(c.problem)
      if (c.fix) expect(r.stderr, c.name).toMatch(c.fix)
      expectShort(r.stderr, c)
    })
  }, 240_000)

  const bad = importCases.filter((c) => c.errors)
  it(`refuses every bad import file (${bad.length} files), all or nothing`, async () => {
    await inBatches(bad, 3, async (c) => {
      const r = await fleet.run(['task', 'import', path.join(FIXTURES, c.file)], agent)
      expect(r.exitCode, `${c.file}: ${r.stderr}`).toBe(1)
      for (const e of c.errors!) expect(r.stderr, c.file).toContain(e)
      expect(r.stderr, c.file).not.toMatch(/\n\s+at /)
    })
  }, 240_000)

  it('refuses an import file over the size limit, and one with too many tasks (20 MB, sent whole)', async () => {
    const huge = path.join(tmp, 'huge.csv')
    const row = '\\\\fs01\\share\\dept,,,https://contoso.sharepoint.com/sites/x,Documents,\n'
    fs.writeFileSync(huge, row.repeat(Math.ceil((51 * 1024 * 1024) / row.length)))
    await expectRefused({ name: 'huge import', args: [], problem: /huge\.csv: the file is 5\d\.\d MB; import at most 50 MB/, fix: /split it into several files/ }, ['task', 'import', huge])
    const many = path.join(tmp, 'many.csv')
    const long = (i: number) => `\\\\fs01\\share\\${'d'.repeat(300)}${i},,,https://contoso.sharepoint.com/sites/x,Documents,\n`
    fs.writeFileSync(many, Array.from({ length: 50_001 }, (_, i) => long(i)).join(''))
    expect(fs.statSync(many).size).toBeGreaterThan(16 * 1024 * 1024)
    await expectRefused({ name: 'too many tasks', args: [], problem: /many\.csv: the file holds 50001 tasks; import at most 50000/, fix: /split it into several files/ }, ['task', 'import', many])
    fs.rmSync(huge)
    fs.rmSync(many)
  }, 120_000)

  it('refuses credentials from a corrupt auth.json, naming the file', async () => {
    const auth = path.join(agent.dir, 'auth.json')
    fs.writeFileSync(auth, '{not json', { mode: 0o600 })
    try {
      await expectRefused({ name: 'corrupt auth.json', args: [], problem: /auth\.json/ }, ['auth', 'test', '--dest', 'https://contoso.sharepoint.com/sites/x'])
    } finally {
      fs.rmSync(auth, { force: true })
    }
  })

  it(`start refuses bad flags at once (${START_CASES.length} cases), leaving nothing running`, async () => {
    await inBatches(START_CASES, 3, async (c) => {
      const dir = fleet.tempDir('start')
      const args = fill(c.args)
      const withKey = args.includes('--fleet-key') ? args : [...args, '--fleet-key', fleet.keyFile]
      const r = await fleet.run(['start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', ...withKey], dir, { timeoutMs: 20_000 })
      expect(r.timedOut, `${c.name}: the agent started`).toBe(false)
      expect(r.exitCode, `${c.name}: ${r.stderr}`).toBe(1)
      expect(r.stderr).toMatch(c.problem)
      if (c.fix) expect(r.stderr).toMatch(c.fix)
      expectShort(r.stderr, c)
      expect(fs.existsSync(path.join(dir, 'control.sock'))).toBe(false)
    })
  }, 240_000)

  it('start refuses corrupt files in the data dir, naming the file and the fix, and keeps the ledger', async () => {
    // A data dir that has run once (identity, config, ledger with one task).
    const b = await fleet.start('corrupt-me')
    await fleet.run(['task', 'add', '--source', '\\\\fs01\\keep', '--dest', 'https://contoso.sharepoint.com/sites/keep'], b)
    const before = await fleet.hash(b)
    fs.copyFileSync(fleet.keyFile, path.join(b.dir, 'fleet.key'))
    await fleet.kill(b, 'SIGTERM')
    for (const c of CONFIG_CASES) {
      const p = path.join(b.dir, c.file)
      const saved = fs.readFileSync(p)
      fs.writeFileSync(p, c.content)
      const keyArgs = c.useDirKey ? [] : ['--fleet-key', fleet.keyFile]
      const r = await fleet.run(['start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', ...keyArgs], b.dir, { timeoutMs: 20_000 })
      fs.writeFileSync(p, saved)
      expect(r.timedOut, `${c.name}: the agent started`).toBe(false)
      expect(r.exitCode, `${c.name}: ${r.stderr}`).toBe(c.code)
      expect(r.stderr, c.name).toMatch(c.problem)
      expect(r.stderr, c.name).toMatch(c.fix)
      expectShort(r.stderr, c)
    }
    // Put right, the agent starts with the ledger it had.
    await fleet.restart(b)
    expect(await fleet.hash(b)).toBe(before)
  }, 120_000)

  it('formula-like values from an accepted import come out of the CSV report escaped', async () => {
    const r = await fleet.run(['task', 'import', path.join(FIXTURES, 'formula-injection.csv')], agent)
    expect(r.exitCode, r.stderr).toBe(0)
    const out = path.join(tmp, 'report')
    expect((await fleet.run(['report', '--out', out], agent)).exitCode).toBe(0)
    const csv = fs.readFileSync(path.join(out, 'Aggregate Summary Report.csv'), 'utf8')
    // Every cell: never starts with = + - @ (or tab/CR) unescaped.
    const cells = csv.replace(/^\uFEFF/, '').split(/\r?\n/).flatMap((line) => line.split(',')).map((c) => c.replace(/^"/, ''))
    const dangerous = cells.filter((c) => /^[=+\-@\t\r]/.test(c) && !/^-?\d+(\.\d+)?$/.test(c))
    expect(dangerous).toEqual([])
    expect(csv).toMatch(/'=cmd|'\+Library|'@SUM/)
  })
})
