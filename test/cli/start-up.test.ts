/**
 * Commands load only what they need (issue 14): `--help`, `agents`, `task list`, `task show`, `settings`
 * and `stop` against a real agent must not load libp2p, ink/React, the SharePoint client, MSAL, level,
 * Yjs or zod. Each command runs as an admin runs it (bin/mmesh.js, the build) with a loader hook that
 * records every module the process resolves (test/support/record-imports.mjs); a command that also runs
 * `auth test` shows the record would catch a heavy library (it loads @pnp/sp and MSAL). And a request
 * the control API's schema refuses gets its one-line answer through the CLI.
 */
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFleet, REPO, type AgentProc, type Fleet } from '../fixtures/fleet.ts'

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 })

const RECORDER = pathToFileURL(path.join(REPO, 'test/support/record-imports.mjs')).href
/** Packages a quick command must not load, by the path they resolve to. */
const HEAVY = /\/node_modules\/(libp2p|@libp2p\/|@chainsafe\/|ink\/|react\/|react-reconciler\/|@pnp\/|@azure\/msal|level\/|classic-level\/|abstract-level\/|yjs\/|zod\/)/

let fleet: Fleet
let a: AgentProc
let taskId: string

beforeAll(async () => {
  fleet = await createFleet()
  a = await fleet.start('alpha')
  const src = fleet.tempDir('src')
  fs.writeFileSync(path.join(src, 'a.txt'), 'a')
  const added = await fleet.run(['task', 'add', '--source', src, '--dest', `file://${fleet.tempDir('dest')}`], a)
  expect(added.exitCode, added.stderr).toBe(0)
  taskId = added.stdout.trim()
})

afterAll(async () => {
  await fleet?.cleanup()
})

/** Runs `mmesh ARGS` (with --data DIR when given) and returns its exit, output and the modules it resolved. */
async function recorded(args: string[], dir?: string) {
  const file = path.join(fleet.tempDir('imports'), 'modules.txt')
  const r = await fleet.run(args, dir, { env: { NODE_OPTIONS: `--import=${RECORDER}`, RECORD_IMPORTS_TO: file } })
  const modules = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []
  return { ...r, modules, heavy: [...new Set(modules.filter((m) => HEAVY.test(m)).map((m) => HEAVY.exec(m)![1]))] }
}

describe('CLI start-up', () => {
  it('a bad request is refused by the agent in one line naming the method and the field (exit 1)', async () => {
    const r = await fleet.run(['task', 'show', ''], a)
    expect(r.stderr).toBe('mmesh: task.show: id: expected a non-empty string')
    expect(r.exitCode).toBe(1)
  })

  it('--help, agents, task list/show, settings and stop load no heavy library', async () => {
    const runs: [string[], string | undefined][] = [
      [['--help'], undefined],
      [['agents'], a.dir],
      [['agents', '--json'], a.dir],
      [['task', 'list'], a.dir],
      [['task', 'list', '--json'], a.dir],
      [['task', 'show', taskId], a.dir],
      [['task', 'show', taskId, '--json'], a.dir],
      [['settings'], a.dir],
      [['stop'], a.dir], // last: the agent goes
    ]
    for (const [args, dir] of runs) {
      const r = await recorded(args, dir)
      expect(r.exitCode, `mmesh ${args.join(' ')}: ${r.stderr}`).toBe(0)
      // the record works (commander is what every command loads) …
      expect(r.modules.some((m) => m.includes('/node_modules/commander/')), `mmesh ${args.join(' ')} recorded its modules`).toBe(true)
      // … and names no heavy library
      expect(r.heavy, `mmesh ${args.join(' ')} loaded ${r.heavy.join(', ')}`).toEqual([])
    }
    const shown = await fleet.run(['task', 'list', '--json'], a.dir)
    expect(shown.exitCode).toBe(3) // stopped: the list above was answered by the agent, not by an error
  })

  it('the record does see a heavy library when a command loads one', async () => {
    const r = await recorded(['auth', 'test', '--dest', 'https://contoso.sharepoint.com/sites/x'], fleet.tempDir('empty'))
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/no credentials in/)
    expect(r.heavy).toEqual(expect.arrayContaining(['@pnp/', '@azure/msal']))
  })
})
