/**
 * Durability of file:// writes (issue 15): a file shows the source's modified time under its final name only
 * once its bytes are on disk. The contract as seen from outside: after a put, the final file has the
 * source's content and modified time, and no temporary file is left. The order that makes it durable —
 * fdatasync of the temporary file, then its times, then the rename, then an fsync of the folder (after each
 * single put; for batches, once, when the engine calls settle() at the end of a pass) — is read from the
 * real system calls with strace (skipped where strace cannot run), on every write path: one small file, a
 * batch, a large file.
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { needTool } from '../../test/support/system-tools.ts'
import { createFileDestination } from './file.ts'

const strace = needTool('strace', 'reads the order of the system calls that make a file durable')

const run = promisify(execFile)
const REPO = path.resolve(import.meta.dirname, '../..')
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mmesh-durable-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Source files: one small for putFile, three for a batch, one large (kernel copy), with old times. */
async function makeSources(root: string): Promise<Record<string, { path: string; bytes: Buffer; mtimeMs: number; dev: number; ino: number }>> {
  await mkdir(root, { recursive: true })
  const out: Record<string, { path: string; bytes: Buffer; mtimeMs: number; dev: number; ino: number }> = {}
  const sizes: Record<string, number> = { 'single.bin': 5000, 'b1.bin': 10, 'b2.bin': 20_000, 'b3.bin': 0, 'large.bin': 3 << 20 }
  let day = 1
  for (const [name, size] of Object.entries(sizes)) {
    const at = path.join(root, name)
    const bytes = Buffer.alloc(size, day)
    await writeFile(at, bytes)
    const when = new Date(Date.UTC(2019, 4, day++, 9, 30, 15, 500))
    await utimes(at, when, when)
    const st = await stat(at)
    out[name] = { path: at, bytes, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino }
  }
  return out
}

describe('file:// destination durability', () => {
  it('a put leaves the final file with the source content and modified time, and no temporary file', async () => {
    const src = await makeSources(path.join(dir, 'contract-src'))
    const rootDir = path.join(dir, 'contract-dest')
    await mkdir(rootDir)
    const dest = createFileDestination({ rootDir, library: null, folder: null, tempTag: 'agent-a' })
    const signal = AbortSignal.timeout(20_000)
    const source = (n: string) => ({ localPath: src[n]!.path, size: src[n]!.bytes.length, mtimeMs: src[n]!.mtimeMs, birthtimeMs: null, owner: null, dev: src[n]!.dev, ino: src[n]!.ino })
    try {
      await dest.open(signal)
      await dest.ensureFolder('sub', signal)
      await dest.putFile('sub/single.bin', source('single.bin'), { signal, overwrite: false })
      const batch = await dest.putFiles(['b1.bin', 'b2.bin', 'b3.bin'].map((n) => ({ relPath: `sub/${n}`, source: source(n), overwrite: false })), { signal })
      expect(batch.every((o) => o.ok)).toBe(true)
      await dest.putFile('sub/large.bin', source('large.bin'), { signal, overwrite: false })
      await dest.settle!(signal)
      for (const [name, s] of Object.entries(src)) {
        const at = path.join(dest.root, 'sub', name)
        expect((await readFile(at)).equals(s.bytes), name).toBe(true)
        expect((await stat(at)).mtimeMs, name).toBe(s.mtimeMs)
      }
      expect((await readdir(path.join(dest.root, 'sub'))).sort()).toEqual(Object.keys(src).sort())
    } finally {
      await dest.close()
    }
  })

  // "no sync program": PATH holds only a folder with a link to node, so `sync -f` cannot start and every file of a batch
  // gets its own fdatasync (the fallback for systems without coreutils' sync).
  it.skipIf(strace.skip).each([
    ['with sync -f', false],
    ['with no sync program', true],
  ])('flushes the data before the times and the rename, and the folder after the renames: a batch\'s at settle() (strace, %s)', async (label, noSync) => {
    const base = path.join(dir, noSync ? 'nosync' : 'sync')
    const bin = path.join(base, 'bin')
    await mkdir(bin, { recursive: true })
    await symlink(process.execPath, path.join(bin, 'node'))
    const src = await makeSources(path.join(base, 'trace-src'))
    const rootDir = path.join(base, 'trace-dest')
    await mkdir(rootDir)
    const script = path.join(base, 'put.mts')
    await writeFile(
      script,
      `import fs from 'node:fs'
import { createFileDestination } from ${JSON.stringify(path.join(REPO, 'agent/destinations/file.ts'))}
const src = ${JSON.stringify(src, (k, v) => (k === 'bytes' ? v.data.length : v))}
const dest = createFileDestination({ rootDir: ${JSON.stringify(rootDir)}, library: null, folder: null, tempTag: 'agent-a' })
const signal = AbortSignal.timeout(20_000)
const source = (n) => ({ localPath: src[n].path, size: src[n].bytes, mtimeMs: src[n].mtimeMs, birthtimeMs: null, owner: null, dev: src[n].dev, ino: src[n].ino })
await dest.open(signal)
await dest.ensureFolder('sub', signal)
await dest.putFile('sub/single.bin', source('single.bin'), { signal, overwrite: false })
await dest.putFile('sub/large.bin', source('large.bin'), { signal, overwrite: false })
const batch = await dest.putFiles(['b1.bin', 'b2.bin', 'b3.bin'].map((n) => ({ relPath: 'sub/' + n, source: source(n), overwrite: false })), { signal })
if (!batch.every((o) => o.ok)) throw new Error('batch failed')
// a mark in the trace: what follows is settle()'s
fs.writeSync(2, 'settle\\n')
await dest.settle(signal)
await dest.close()
`,
    )
    const trace = path.join(base, 'trace.txt')
    await run(strace.path!, ['-f', '-y', '-qq', '-o', trace, '-e', 'trace=fdatasync,fsync,syncfs,pwrite64,write,utimensat,rename,renameat,renameat2', process.execPath, path.join(REPO, 'bin/run-ts.js'), script], { cwd: REPO, timeout: 60_000, env: noSync ? { ...process.env, PATH: bin } : process.env })
    const lines = (await readFile(trace, 'utf8')).split('\n')

    // Each call's start and end, by line (strace writes lines in the order things happen; a call another
    // thread interrupts is split into "<unfinished ...>" and "<... resumed>").
    interface Call { name: string; args: string; start: number; end: number }
    const calls: Call[] = []
    const open = new Map<string, Call>()
    lines.forEach((line, i) => {
      const resumed = /^(\d+)\s+<\.\.\. (\w+) resumed>/.exec(line)
      if (resumed) {
        const c = open.get(resumed[1]!)
        if (c) c.end = i
        open.delete(resumed[1]!)
        return
      }
      const m = /^(\d+)\s+(\w+)\((.*)$/.exec(line)
      if (!m) return
      const c: Call = { name: m[2]!, args: m[3]!, start: i, end: i }
      if (line.endsWith('<unfinished ...>')) open.set(m[1]!, c)
      calls.push(c)
    })
    const sub = path.join(rootDir, 'sub')
    const mark = calls.find((c) => c.name === 'write' && c.args.includes('"settle\\n"'))
    expect(mark, 'the settle() mark in the trace').toBeDefined()
    const folderSyncs = calls.filter((c) => c.name === 'fsync' && c.args.startsWith(`${/^\d+/.exec(c.args)?.[0]}<${sub}>`))
    for (const name of ['single.bin', 'b1.bin', 'b2.bin', 'b3.bin', 'large.bin']) {
      const final = path.join(sub, name)
      const rename = calls.find((c) => c.name.startsWith('rename') && c.args.includes(`"${final}"`))
      expect(rename, `rename to ${name}`).toBeDefined()
      const tmp = /"([^"]*\.mmesh-tmp-[^"]*)"/.exec(rename!.args)![1]!
      const onTmp = (n: string) => calls.filter((c) => c.name === n && c.args.includes(`<${tmp}>`))
      const times = onTmp('utimensat')
      expect(times.length, `times of ${name}'s temporary file`).toBe(1)
      // data on disk, then the source's times, then the final name, then the folder: the flush is the temp
      // file's own fdatasync, or a syncfs of the file system (by `sync -f`, a child process) that started
      // after the last write to the temp file and ended before its times were set
      const own = onTmp('fdatasync')
      if (noSync) expect(own.length, `${label}: ${name}'s own fdatasync`).toBe(1)
      // with sync -f, a batch's files share the file system's flush (the fast path is the one tested)
      else if (name.startsWith('b')) expect(own.length, `${label}: ${name} flushed by syncfs`).toBe(0)
      let flushes = own
      if (own.length === 0) {
        const writes = [...onTmp('pwrite64'), ...onTmp('write')]
        if (src[name]!.bytes.length > 0) expect(writes.length, `writes to ${name}'s temporary file`).toBeGreaterThan(0)
        const lastWrite = Math.max(-1, ...writes.map((c) => c.end))
        flushes = calls.filter((c) => c.name === 'syncfs' && c.start > lastWrite)
      }
      expect(flushes.some((f) => f.end < times[0]!.start), `${name}'s bytes flushed before its times`).toBe(true)
      expect(times[0]!.end, name).toBeLessThan(rename!.start)
      // the folder: its own fsync, or (with sync -f, for what went through the copy workers) a syncfs of the
      // file system, which commits its journal, names included
      const folderFlushes = [...folderSyncs, ...(noSync ? [] : calls.filter((c) => c.name === 'syncfs'))]
      expect(folderFlushes.some((f) => f.start > rename!.end), `folder flushed after ${name}'s rename`).toBe(true)
      // a batch's folder: not after each batch but at settle(), before which nothing flushes it
      if (name.startsWith('b')) {
        expect(rename!.end, `${name} renamed before settle()`).toBeLessThan(mark!.start)
        expect(folderFlushes.some((f) => f.start > rename!.end && f.end < mark!.start), `${name}'s folder not flushed before settle()`).toBe(false)
        expect(folderFlushes.some((f) => f.start > mark!.end), `${name}'s folder flushed by settle()`).toBe(true)
      }
    }
    // once per put: the single file, the large file, and the batch of three at settle()
    expect(folderSyncs.length).toBe(noSync ? 3 : 1)
    // the new folder's name was flushed in its parent
    expect(calls.some((c) => c.name === 'fsync' && c.args.includes(`<${rootDir}>`))).toBe(true)
  }, 60_000)
})
