/**
 * The agent's file system flushes (file-flush.ts), with the real `sync -f`: asks made together are answered
 * together, a flush that cannot run says why without spoiling later ones, and one that started before an
 * ask never answers it (the ask waits for the next flush); without Perl the shell's `sync -f` serves.
 */
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SYNCFS, flushFileSystem } from './file-flush.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mmesh-flush-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe.skipIf(!SYNCFS)('file system flushes', () => {
  it('answers every ask; an ask made while a flush runs is answered by a later one', async () => {
    const fd = openSync(dir, 'r')
    try {
      let laterAnswered = false
      let laterAnsweredWithFirst: boolean | null = null
      const first = flushFileSystem(1, fd).then((a) => {
        // One flush answers its asks in one go: by the next turn of the loop all of them have their answer.
        setImmediate(() => (laterAnsweredWithFirst = laterAnswered))
        return a
      })
      // Same turn: not started yet, so the same flush serves it.
      const same = flushFileSystem(1, fd)
      // After the first has started (it starts at once: no flush ran on this key before).
      await new Promise((r) => setImmediate(r))
      const later = flushFileSystem(1, fd).then((a) => ((laterAnswered = true), a))
      const answers = await Promise.race([Promise.all([first, same, later]), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 20 s')), 20_000))])
      expect(answers).toEqual([null, null, null])
      await new Promise((r) => setImmediate(r))
      // The later ask came after the first flush started: that flush must not answer it.
      expect(laterAnsweredWithFirst).toBe(false)
    } finally {
      closeSync(fd)
    }
  })

  it('a flush that fails says so, and the next one still runs', async () => {
    const fd = openSync(path.join(dir, 'x'), 'w')
    closeSync(fd)
    // A descriptor number nothing holds: /proc/PID/fd/N does not exist, so `sync -f` fails.
    const bad = await flushFileSystem(2, 1_000_000)
    expect(bad).toMatchObject({ code: 'ESYNCFS', unavailable: false })
    const good = openSync(dir, 'r')
    try {
      expect(await flushFileSystem(2, good)).toBeNull()
    } finally {
      closeSync(good)
    }
  })

  it('flushes through the shell and `sync -f` where Perl is not installed', () => {
    // A PATH with `sh` and `sync` and no `perl`: the agent's helper is then the shell.
    const bin = path.join(dir, 'bin-no-perl')
    mkdirSync(bin)
    for (const name of ['sh', 'sync']) symlinkSync(execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim(), path.join(bin, name))
    const here = path.dirname(fileURLToPath(import.meta.url))
    const script = path.join(dir, 'flush-no-perl.mts')
    // Its helper by name: the child processes of the script's own process, from /proc.
    writeFileSync(
      script,
      `import { openSync, readFileSync, readdirSync } from 'node:fs'
import { flushFileSystem } from ${JSON.stringify(path.join(here, 'file-flush.ts'))}
// the helper never keeps a process alive (the agent's own work does): this timer stands in for it
const alive = setInterval(() => {}, 1000)
const answer = await flushFileSystem(1, openSync(${JSON.stringify(dir)}, 'r'))
const helpers = readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d)).flatMap((d) => {
  try {
    const st = readFileSync('/proc/' + d + '/stat', 'utf8')
    const end = st.lastIndexOf(')')
    return Number(st.slice(end + 2).split(' ')[1]) === process.pid ? [st.slice(st.indexOf('(') + 1, end)] : []
  } catch {
    return []
  }
})
console.log(JSON.stringify({ answer, helpers }))
clearInterval(alive)
`,
    )
    const out = execFileSync(process.execPath, [path.join(here, '../../bin/run-ts.js'), script], { encoding: 'utf8', env: { ...process.env, PATH: bin }, timeout: 60_000 })
    const { answer, helpers } = JSON.parse(out.trim().split('\n').pop()!) as { answer: unknown; helpers: string[] }
    expect(answer).toBeNull()
    // (tsx's esbuild is a child too)
    expect(helpers).toContain('sh')
    expect(helpers).not.toContain('perl')
  }, 60_000)
})
