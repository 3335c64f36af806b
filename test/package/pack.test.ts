/**
 * The package as an admin gets it: `npm pack`, then `npm install -g` of the tarball into a temporary prefix
 * with --omit=dev (from the npm cache `npm ci` filled), and the installed `mmesh` run with plain node for
 * every kind of command: --help, keygen, an agent (start, task add, task list, report, tui, stop). Its tree
 * must hold no tsx, esbuild or typescript: nothing compiles at run time.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { REPO, waitFor } from '../fixtures/fleet.ts'
import { needTool } from '../support/system-tools.ts'

// pack + install take 30-60 s on a loaded 2-core machine; every wait below has its own bound as well.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 300_000 })

const terminal = needTool('script', 'gives the installed mmesh tui a terminal')

/** Tools that compile at run time or only build: none may be installed with the package. */
const BUILD_TOOLS = ['tsx', 'esbuild', 'typescript', 'vitest']

let tmp: string
let prefix: string
let mmesh: string
let packed: string[]

/** npm as a user runs it: nothing inherited from an `npm test` around this run (npm_config_*, lifecycle). */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))
}

/** The installed command, with HOME moved so nothing of this user's ~/.mmesh is touched. */
function run(args: string[], timeout = 60_000) {
  return execa(mmesh, args, { reject: false, timeout, env: { ...npmEnv(), HOME: tmp, MMESH_LOG_LEVEL: 'warn' } })
}

/** Package folders anywhere under `dir`'s node_modules, scoped ones as `@scope/name`. */
function installedPackages(dir: string, out: string[] = []): string[] {
  const nm = path.join(dir, 'node_modules')
  if (!fs.existsSync(nm)) return out
  for (const e of fs.readdirSync(nm, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue
    const names = e.name.startsWith('@') ? fs.readdirSync(path.join(nm, e.name)).map((n) => `${e.name}/${n}`) : [e.name]
    for (const name of names) {
      out.push(name)
      installedPackages(path.join(nm, name), out)
    }
  }
  return out
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-pack-'))
  prefix = path.join(tmp, 'prefix')
  // dist/ was just built from these sources by vitest's global setup (bin/build.js --if-stale), so the
  // prepare script (a second full build) is not run here.
  const pack = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: REPO, env: npmEnv(), timeout: 120_000 })
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[]
  packed = info!.files.map((f) => f.path)
  await execa('npm', ['install', '-g', '--prefix', prefix, `./${info!.filename}`, '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: tmp,
    env: npmEnv(),
    timeout: 240_000,
  })
  mmesh = path.join(prefix, 'bin', 'mmesh')
})

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('the packed package, installed with --omit=dev', () => {
  it('ships only what runs: the build, the two bin files, README and docs', () => {
    for (const p of packed) expect(p, p).toMatch(/^(dist\/|docs\/|bin\/mmesh\.js$|bin\/polyfill\.js$|README\.md$|LICENSE$|package\.json$)/)
    expect(packed.filter((p) => /\.test\.|\.tsx?$|\.map$/.test(p))).toEqual([])
    expect(packed.filter((p) => p.startsWith('dist/test/') || p.startsWith('dist/bench/'))).toEqual([])
    for (const needed of ['dist/cli/main.js', 'dist/agent/engine/scan-worker.js', 'dist/agent/destinations/file-worker.js', 'dist/agent/destinations/file-worker-read.js']) expect(packed).toContain(needed)
  })

  it('has no tsx, esbuild or typescript in its tree', () => {
    const pkgDir = path.join(prefix, 'lib', 'node_modules', 'migration-mesh')
    expect(fs.existsSync(path.join(pkgDir, 'dist', 'cli', 'main.js'))).toBe(true)
    const all = installedPackages(pkgDir)
    expect(all).toContain('libp2p')
    expect(all.filter((n) => BUILD_TOOLS.includes(n) || n.startsWith('@esbuild/'))).toEqual([])
  })

  it('answers --help and writes a fleet key', async () => {
    const help = await run(['--help'])
    expect(help.exitCode, help.stderr).toBe(0)
    expect(help.stdout).toMatch(/^Usage: mmesh /)
    for (const command of ['start', 'task', 'report', 'tui']) expect(help.stdout).toContain(command)
    const key = path.join(tmp, 'fleet.key')
    const keygen = await run(['keygen', '--out', key])
    expect(keygen.exitCode, keygen.stderr).toBe(0)
    expect(fs.statSync(key).mode & 0o777).toBe(0o600)
  })

  describe('an agent started from the installed package', () => {
    let agent: ChildProcess
    let dataDir: string
    let agentOut = ''
    let agentErr = ''
    const share = () => path.join(tmp, 'share')
    const dest = () => path.join(tmp, 'dest')

    beforeAll(async () => {
      dataDir = path.join(tmp, 'agent')
      fs.mkdirSync(path.join(share(), 'Finance', '2024'), { recursive: true })
      fs.writeFileSync(path.join(share(), 'Finance', '2024', 'budget.xlsx'), 'numbers\n')
      fs.writeFileSync(path.join(share(), 'readme.txt'), 'hello\n')
      fs.mkdirSync(dest())
      agent = spawn(mmesh, ['start', '--data', dataDir, '--name', 'packed', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--source-root', share(), '--dest-root', dest()], {
        env: { ...npmEnv(), HOME: tmp, MMESH_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      agent.stdout!.on('data', (d: Buffer) => (agentOut += d.toString()))
      agent.stderr!.on('data', (d: Buffer) => (agentErr += d.toString()))
      await waitFor(() => /^listening \S+/m.test(agentOut) || agent.exitCode !== null, { timeoutMs: 60_000, message: 'the installed agent to listen' })
      expect(agent.exitCode, agentErr).toBeNull()
    })

    afterAll(async () => {
      if (agent && agent.exitCode === null) {
        agent.kill('SIGKILL')
        await new Promise((resolve) => agent.once('exit', resolve))
      }
    })

    it('adds a task with a file:// destination, lists it completed, writes the reports', async () => {
      const add = await run(['task', 'add', '--data', dataDir, '--source', share(), '--dest', `file://${dest()}`, '--name', 'packed-task'])
      expect(add.exitCode, add.stderr).toBe(0)
      const id = add.stdout.trim()
      type Row = { id: string; name: string; status: string; counts: { migrated: number } }
      const done = await waitFor(async () => {
        const list = await run(['task', 'list', '--data', dataDir, '--json'])
        expect(list.exitCode, list.stderr).toBe(0)
        const row = (JSON.parse(list.stdout) as Row[]).find((t) => t.id === id)
        return row?.status === 'completed' ? row : null
      }, { timeoutMs: 60_000, intervalMs: 500, message: 'the task to complete' })
      expect(done).toMatchObject({ name: 'packed-task', counts: { migrated: 4 } })
      expect(fs.readFileSync(path.join(dest(), 'Finance', '2024', 'budget.xlsx'), 'utf8')).toBe('numbers\n')

      const out = path.join(tmp, 'reports')
      const report = await run(['report', '--data', dataDir, '--out', out, '--timeout', '60'])
      expect(report.exitCode, report.stderr).toBe(0)
      const written = fs.readdirSync(out, { recursive: true }).map(String)
      for (const f of ['report.html', 'ledger.json', 'Aggregate Summary Report.csv', path.join(id, 'ItemReport.csv')]) expect(written).toContain(f)
    })

    it.skipIf(terminal.skip)('shows the fleet view in a terminal and quits on q', async () => {
      // ink draws only on a terminal, and not at all when CI is set: `script` gives it a pseudo-terminal.
      const env: NodeJS.ProcessEnv = { ...npmEnv(), HOME: tmp, MMESH_LOG_LEVEL: 'warn', TERM: 'xterm-256color' }
      delete env.CI
      const tui = spawn('script', ['-qec', `stty cols 120 rows 36; exec '${mmesh}' tui --data '${dataDir}'`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
      let screen = ''
      tui.stdout!.on('data', (d: Buffer) => (screen += d.toString()))
      tui.stderr!.on('data', (d: Buffer) => (screen += d.toString()))
      const exited = new Promise<number | null>((resolve) => tui.once('exit', (code) => resolve(code)))
      try {
        const plain = () => screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
        await waitFor(() => {
          if (/packed\s+\S+\s+Default\s+online/.test(plain()) && /q quit/.test(plain())) return true
          throw new Error(`the screen so far: ${JSON.stringify(plain().slice(-400))}`)
        }, { timeoutMs: 30_000, message: 'the fleet view with the agent online' })
        tui.stdin!.write('q')
        const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000))])
        expect(code).toBe(0)
      } finally {
        if (tui.exitCode === null) tui.kill('SIGKILL')
      }
    })

    it('stops on mmesh stop', async () => {
      const exited = new Promise<number | null>((resolve) => (agent.exitCode !== null ? resolve(agent.exitCode) : agent.once('exit', (code) => resolve(code))))
      const stop = await run(['stop', '--data', dataDir])
      expect(stop.exitCode, stop.stderr).toBe(0)
      const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000))])
      expect(code, agentErr).toBe(0)
    })
  })
})
