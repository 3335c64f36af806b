/**
 * Issue 6 end to end: the real `mmesh tui` in tmux (its own -L socket, CI unset for that process) against
 * a 3-agent fleet: add a task through the form, watch it reach completed, open its detail, export the
 * reports, quit. Each step is checked on the captured pane.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { createFleet, MMESH, REPO, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { makeShare } from '../leases/lease-harness.ts'
import { needTool } from '../support/system-tools.ts'

const terminal = needTool('tmux', 'runs mmesh tui in a real terminal')
const SOCKET = `mmesh-e2e-${process.pid}`
let fleet: Fleet
let agents: AgentProc[]

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', timeout: 10_000 })
}
const pane = () => tmux('capture-pane', '-p', '-t', 'e2e')
const keys = (...k: string[]) => tmux('send-keys', '-t', 'e2e', ...k)
const typeText = (text: string) => tmux('send-keys', '-t', 'e2e', '-l', text)

async function see(what: RegExp | string, message: string, timeoutMs = 30_000): Promise<string> {
  return waitFor(() => {
    const p = pane()
    return (typeof what === 'string' ? p.includes(what) : what.test(p)) ? p : null
  }, { timeoutMs, intervalMs: 200, message: `${message} on the screen` })
}

beforeAll(async () => {
  if (terminal.skip) return
  fleet = await createFleet()
  const first = await fleet.start('view1')
  agents = [first, await fleet.start('view2', { peers: [first] }), await fleet.start('view3', { peers: [first] })]
  await waitFor(async () => (await fleet.call<{ state: string }[]>(first, 'agents.list')).filter((a) => a.state === 'online').length === 3, { timeoutMs: 30_000 })
}, 120_000)

afterAll(async () => {
  if (terminal.skip) return
  try {
    tmux('kill-server')
  } catch {
    /* not running */
  }
  await fleet?.cleanup()
})

describe.skipIf(terminal.skip)('mmesh tui in a real terminal', () => {
  it('adds a task through the form, watches it complete, opens its detail, exports, quits', async () => {
    const src = makeShare(fleet.tempDir('src'), 'e2e-share', 30)
    const dst = fleet.tempDir('dst')
    const out = path.join(fleet.tempDir('export'), 'reports')
    const dir = agents[0]!.dir
    const env = Object.entries({ ...process.env, MMESH_LOG_LEVEL: 'warn' })
      .filter(([k]) => k !== 'CI')
      .map(([k, v]) => `${k}=${String(v).replace(/'/g, "'\\''")}`)
    const cmd = `env -u CI ${env.filter((e) => /^(PATH|HOME|MMESH_LOG_LEVEL|NODE_EXTRA_CA_CERTS)=/.test(e)).map((e) => `'${e}'`).join(' ')} '${process.execPath}' '${MMESH}' tui --data '${dir}'; echo "TUI EXITED $?"; sleep 60`
    tmux('new-session', '-d', '-s', 'e2e', '-x', '120', '-y', '36', '-c', REPO, cmd)
    const panes: Record<string, string> = {}

    panes.fleet = await see(/view3/, 'the fleet view with every agent')
    expect(panes.fleet).toMatch(/view1/)
    expect(panes.fleet).toMatch(/view2/)
    expect(panes.fleet).toMatch(/3\/3 online/)

    keys('a')
    await see('Destination', 'the add-task form')
    typeText(src)
    keys('Tab')
    typeText(`file://${dst}`)
    keys('Tab', 'Tab', 'Tab')
    typeText('e2e task')
    panes.form = await see('e2e task', 'the typed name')
    expect(panes.form).toContain(src)
    keys('Enter')

    panes.detail = await see(/completed/, 'the new task completed', 60_000)
    expect(panes.detail).toMatch(/e2e task/)
    expect(panes.detail).toMatch(/31|30/) // items scanned: 30 files and a folder
    expect(fs.readdirSync(path.join(dst, 'sub'))).toHaveLength(15)

    keys('Escape')
    keys('e')
    await see(/[Ee]xport/, 'the export view')
    typeText(out)
    keys('Enter')
    panes.exported = await see(/Wrote \d+ report files/, 'the export confirmation', 60_000)
    expect(fs.existsSync(path.join(out, 'Aggregate Summary Report.csv'))).toBe(true)
    expect(fs.readFileSync(path.join(out, 'Aggregate Summary Report.csv'), 'utf8')).toContain('e2e task')

    keys('Escape')
    keys('q')
    panes.quit = await see('TUI EXITED 0', 'the view closing cleanly')
    fs.writeFileSync(path.join(fleet.root, 'panes.txt'), Object.entries(panes).map(([k, v]) => `--- ${k}\n${v}`).join('\n'))
  }, 180_000)
})
