/**
 * A real agent for a benchmark, as an admin starts one: `mmesh start` on 127.0.0.1 without mDNS, ready
 * once it prints its peer line; stopped with `mmesh stop` (then killed if it has not exited in 30 s).
 * The agent runs with the caller's environment less any MMESH_* and NODE_OPTIONS, so a bench measures
 * the product, not a test hook.
 */
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const MMESH = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'), 'bin', 'mmesh.js')
export const benchEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MMESH_') && k !== 'NODE_OPTIONS')) as NodeJS.ProcessEnv

/**
 * Starts an agent on `dataDir` with `args` after the common ones; resolves to its stop function. `mmesh`:
 * another checkout's bin/mmesh.js (a before/after comparison), else this one's.
 */
export async function startBenchAgent(dataDir: string, args: string[], mmesh = MMESH): Promise<(() => Promise<void>) & { pid: number }> {
  const child = spawn(process.execPath, [mmesh, 'start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--data', dataDir, '--name', 'bench', ...args], { env: benchEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start within 60 s: ${stderr}`)), 60_000)
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('peer ')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`the agent exited (${code}): ${stderr}`)))
  })
  const stop = async () => {
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    spawnSync(process.execPath, [mmesh, 'stop', '--data', dataDir], { env: benchEnv, timeout: 60_000 })
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))])
    child.kill('SIGKILL')
  }
  // The agent's process id, for its CPU time (bench/fleet/proc-stats.ts cpuSeconds).
  return Object.assign(stop, { pid: child.pid! })
}
