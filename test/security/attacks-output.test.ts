/**
 * Issue 15, what reaches an admin's screen: names chosen by a fleet member (a task's name in a record it
 * signs) or by whoever writes to a share (a file's name) are shown with their control characters as
 * visible escapes by `task list`, `task show` and the fleet view, never sent to the terminal as they are;
 * `--json` keeps the exact values. And `task import` refuses a file by its size and kind before reading it.
 * A real agent, the real CLI (bin/mmesh.js) and the real fleet view (ink) attached over the control API.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { connectFleet, type RemoteFleet } from '../../tui/remote.ts'
import { KEYS, mount, type Mounted } from '../../tui/test-kit.tsx'

// Clears the screen, retitles the window: what a hostile name would do if printed as it is.
const SEQ = '\u001b[2J\u001b]0;pwned\u0007'
const SEQ_SHOWN = '\\x1b[2J\\x1b]0;pwned\\x07'
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

let fleet: Fleet
let a: AgentProc
let shares: string, out: string

beforeAll(async () => {
  fleet = await createFleet()
  shares = path.join(fleet.root, 'shares')
  out = path.join(fleet.root, 'out')
  fs.mkdirSync(shares)
  fs.mkdirSync(out)
  a = await fleet.start('a', { roots: { source: [shares], dest: [out] } })
}, 90_000)

afterAll(async () => {
  await fleet?.cleanup()
})

interface Shown {
  id: string
  name: string
  status: string
  counts: { failed: number }
  recentFailures?: { item: string; message: string }[]
}

describe('names with terminal escape sequences', () => {
  it('a task named with escape sequences (a signed record, past task add) shows escaped in task list and task show', async () => {
    const name = `evil${SEQ}`
    // Group Nobody: no agent runs it, the record only has to be shown.
    const { id } = await fleet.call<{ id: string }>(a, 'test.signedTask', { spec: { name, source: path.join(shares, 'none'), destination: { url: `file://${out}/evil`, library: null, folder: null }, group: 'Nobody' } })

    const list = await fleet.run(['task', 'list'], a)
    expect(list.exitCode, list.stderr).toBe(0)
    expect(list.stdout).not.toMatch(RAW_CONTROL)
    expect(list.stdout).toContain(`evil${SEQ_SHOWN.slice(0, 10)}`) // the name column is cut at 20
    const show = await fleet.run(['task', 'show', id], a)
    expect(show.exitCode, show.stderr).toBe(0)
    expect(show.stdout).not.toMatch(RAW_CONTROL)
    expect(show.stdout).toContain(`Task        evil${SEQ_SHOWN} (${id})`)

    // JSON keeps the exact value (JSON.stringify escapes the controls itself).
    const json = await fleet.run(['task', 'list', '--json'], a)
    expect(json.stdout).not.toMatch(RAW_CONTROL)
    expect((JSON.parse(json.stdout) as Shown[]).find((t) => t.id === id)?.name).toBe(name)
  }, 60_000)

  describe('a file named with escape sequences whose item fails', () => {
    let taskId: string
    const evil = `x${SEQ}.txt`

    beforeAll(async () => {
      // Two names SharePoint's rules take for one (case is ignored): the second fails as a collision,
      // with both names in its message. Works as root, unlike a file made unreadable.
      const src = path.join(shares, 'esc-share')
      fs.mkdirSync(src)
      fs.writeFileSync(path.join(src, evil), 'lower\n')
      fs.writeFileSync(path.join(src, `X${SEQ}.txt`), 'upper\n')
      fs.writeFileSync(path.join(src, 'plain.txt'), 'plain\n')
      fs.mkdirSync(path.join(out, 'esc')) // a file:// destination's folder must exist
      const add = await fleet.run(['task', 'add', '--source', src, '--dest', `file://${out}/esc`], a)
      expect(add.exitCode, add.stderr).toBe(0)
      taskId = add.stdout.trim()
      await waitFor(async () => {
        const t = await fleet.call<Shown>(a, 'task.show', { id: taskId })
        return t.status === 'completed' || t.status === 'failed' ? t : null
      }, { timeoutMs: 60_000, message: 'the task to end' })
    }, 90_000)

    it('task show prints the failed item escaped; --json keeps its name', async () => {
      const show = await fleet.run(['task', 'show', taskId], a)
      expect(show.exitCode, show.stderr).toBe(0)
      expect(show.stdout).toMatch(/^Status {6}completed/m)
      expect(show.stdout).toContain('Failed items (latest 1)')
      expect(show.stdout).toContain(`  x${SEQ_SHOWN}.txt: "x${SEQ_SHOWN}.txt" would land as`)
      expect(show.stdout).not.toMatch(RAW_CONTROL)

      const json = JSON.parse((await fleet.run(['task', 'show', taskId, '--json'], a)).stdout) as Shown
      expect(json.counts.failed).toBe(1)
      expect(json.recentFailures?.[0]?.item).toBe(evil)
    }, 60_000)

    it('the fleet view shows it escaped in the task detail, and the task name too', async () => {
      let remote: RemoteFleet | undefined
      let m: Mounted | undefined
      try {
        remote = await connectFleet(a.dir)
        m = await mount(remote.source, remote.actions, { initialView: 'tasks', columns: 120, rows: 40 })
        await m.waitFor(`evil${SEQ_SHOWN.slice(0, 6)}`, 10_000)
        await m.press('/')
        await m.type('esc-share')
        await m.press(KEYS.enter)
        await m.waitFor((f) => /Tasks 1 of \d+/.test(f), 10_000)
        await m.press(KEYS.enter)
        // The failures are asked of the agent when the detail opens (the fleet feed does not carry them).
        const frame = await m.waitFor(`x${SEQ_SHOWN}.txt: "x${SEQ_SHOWN}.txt" would land as`, 15_000)
        expect(frame).toContain('Latest failures')
        // Raw frames, colour codes and all: no sequence of the names went out as it is.
        for (const f of m.frames) {
          expect(f).not.toContain('\u001b]0;pwned')
          expect(f).not.toContain('\u001b[2J')
          expect(f).not.toContain('\u0007')
        }
      } finally {
        m?.unmount()
        remote?.close()
      }
    }, 60_000)
  })
})

describe('task import checks the file before reading it whole', () => {
  it('refuses a sparse 3 GiB file by its size: one line naming the file, its size and the limit; nothing added', async () => {
    const big = path.join(fleet.tempDir('import'), 'big.csv')
    fs.writeFileSync(big, '\\\\fs01\\share\\dept,,,https://contoso.sharepoint.com/sites/x,Documents,\n')
    fs.truncateSync(big, 3 * 1024 ** 3)
    const before = await fleet.hash(a)
    const started = Date.now()
    const r = await fleet.run(['task', 'import', big], a, { timeoutMs: 30_000 })
    expect(r.timedOut).toBe(false)
    expect(r.exitCode, r.stderr).toBe(1)
    expect(r.stderr.trim().split('\n')).toEqual([`mmesh: ${big}: the file is 3072.0 MB; import at most 50 MB at a time (split it into several files)`])
    // Refused from its size: reading 3 GiB (of zeros) would take far longer, or fail on memory.
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(await fleet.hash(a)).toBe(before)
  }, 60_000)

  it('refuses a FIFO instead of waiting for a writer', async () => {
    const fifo = path.join(fleet.tempDir('import'), 'tasks.csv')
    execFileSync('mkfifo', [fifo])
    const r = await fleet.run(['task', 'import', fifo], a, { timeoutMs: 30_000 })
    expect(r.timedOut).toBe(false)
    expect(r.exitCode, r.stderr).toBe(1)
    expect(r.stderr.trim()).toBe(`mmesh: ${fifo} is a FIFO, not a file: give the CSV or JSON file itself`)
  }, 60_000)
})
