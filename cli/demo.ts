/**
 * `mmesh demo`: the two-minute tour. Three real agents on 127.0.0.1 (mDNS off) migrate a generated sample
 * share into a local folder while the fleet view shows them; everything lives in one temporary folder
 * that is removed when the view closes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { writeNewFleetKey } from '../agent/config/fleet-key.ts'
import { callAgent } from '../api/client.ts'
import { packageRoot } from '../api/package-info.ts'
import { attachFleetView } from './fleet-view.ts'

// From the package's root, not this file: the same from cli/ and from the build's dist/cli/.
const MMESH = path.join(packageRoot(), 'bin/mmesh.js')

interface DemoAgent {
  name: string
  dir: string
  proc: ChildProcess
  addr: string
}

/** A sample share: departments with nested folders, a few names SharePoint refuses, a hidden file. */
export function makeSampleShare(root: string, files: number): string[] {
  const depts = ['Finance', 'HR', 'Legal', 'Marketing', 'Operations', 'Sales']
  const perDept = Math.max(1, Math.ceil(files / depts.length))
  for (const d of depts) {
    for (let i = 0; i < perDept; i++) {
      const dir = path.join(root, d, `${2019 + (i % 6)}`, `Q${(i % 4) + 1}`)
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(path.join(dir, `${d.toLowerCase()}-report-${i}.txt`), `${d} report ${i}\n${'lorem ipsum '.repeat(50 + (i % 400))}`)
    }
    fs.writeFileSync(path.join(root, d, 'budget: draft?.txt'), 'a name with characters SharePoint refuses\n')
    fs.writeFileSync(path.join(root, d, '.hidden-notes.txt'), 'hidden\n')
    fs.writeFileSync(path.join(root, d, 'desktop.ini'), '[.ShellClassInfo]\n')
  }
  return depts
}

async function startAgent(root: string, name: string, key: string, peer: string | null): Promise<DemoAgent> {
  const dir = path.join(root, name)
  const log = fs.openSync(path.join(root, `${name}.log`), 'a')
  const args = [MMESH, 'start', '--data', dir, '--name', name, '--fleet-key', key, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--capacity', '2',
    // The sample share and the destination folder are the only places the demo agents may touch.
    '--source-root', path.join(root, 'share'), '--dest-root', path.join(root, 'destination'), ...(peer ? ['--peer', peer] : [])]
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', log], env: { ...process.env, MMESH_LOG_LEVEL: 'warn' } })
  const addr = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`demo agent ${name} did not start within 60 s (see ${root}/${name}.log)`)), 60_000)
    proc.stdout!.setEncoding('utf8')
    proc.stdout!.on('data', (d: string) => {
      out += d
      const m = /^listening (\S+)$/m.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`demo agent ${name} exited with ${code} (see ${root}/${name}.log)`))
    })
  })
  return { name, dir, proc, addr }
}

export async function runDemo(opts: { files: number }): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-demo-'))
  const agents: DemoAgent[] = []
  const cleanup = () => {
    for (const a of agents) if (a.proc.exitCode === null) a.proc.kill('SIGTERM')
  }
  process.once('exit', cleanup)
  try {
    process.stderr.write(`mmesh demo: preparing a sample share of ${opts.files} files in ${root}\n`)
    const share = path.join(root, 'share')
    const depts = makeSampleShare(share, opts.files)
    const dest = path.join(root, 'destination')
    fs.mkdirSync(dest)
    const key = path.join(root, 'fleet.key')
    writeNewFleetKey(key)
    const first = await startAgent(root, 'demo-1', key, null)
    agents.push(first)
    agents.push(await startAgent(root, 'demo-2', key, first.addr))
    agents.push(await startAgent(root, 'demo-3', key, first.addr))
    for (const d of depts) {
      await callAgent(first.dir, 'task.add', { input: { source: path.join(share, d), dest: `file://${dest}`, library: 'Documents', folder: d, name: d, group: null, settings: {} } })
    }
    await attachFleetView(first.dir)
  } finally {
    cleanup()
    await Promise.all(agents.map((a) => (a.proc.exitCode === null ? new Promise((r) => a.proc.once('exit', r)) : null)))
    fs.rmSync(root, { recursive: true, force: true })
  }
}
