/**
 * `npm run chaos -- --agents 5 --tasks 20 --files 10000 --duration 120 --kill-every 10 --split 30 --seed N`
 * Prints the seed (replay with --seed), the fault schedule as it happens, the checks and the figures;
 * exits 1 when a check fails.
 */
import { Command, InvalidArgumentError } from 'commander'
import { runChaos } from './harness.ts'
import { freshSeed } from './rng.ts'

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number >= ${min}`)
  return n
}

const cmd = new Command('chaos')
  .description('migrate generated shares with a fleet of real agents while killing, splitting and breaking things')
  .option('--agents <n>', 'agents (processes)', int('--agents', 2), 5)
  .option('--tasks <n>', 'tasks (one share each)', int('--tasks', 1), 20)
  .option('--files <n>', 'files in all', int('--files', 1), 10_000)
  .option('--duration <s>', 'seconds of faults', int('--duration', 1), 120)
  .option('--kill-every <s>', 'kill -9 a random agent every S seconds (0: never)', int('--kill-every', 0), 10)
  .option('--split <s>', 'split the fleet in two for S seconds (0: never)', int('--split', 0), 30)
  .option('--dest-fault <s>', 'a destination read-only for S seconds (0: never)', int('--dest-fault', 0), 15)
  .option('--file-delay <ms>', 'pause before each file write (default: sized to the fault period)', int('--file-delay', 0))
  .option('--lease-ttl <s>', 'lease TTL of the agents', int('--lease-ttl', 1), 5)
  .option('--sp-tasks <n>', 'tasks going to a SharePoint site on the local emulator (of --tasks)', int('--sp-tasks', 0), 2)
  .option('--sp-throttle <pct>', 'percent of SharePoint requests throttled with 429', int('--sp-throttle', 0), 3)
  .option('--seed <n>', 'seed of every random choice (default: from the clock, printed)', int('--seed', 0))
  .option('--json', 'print the result as JSON at the end')

const opts = cmd.parse(process.argv).opts<{
  agents: number; tasks: number; files: number; duration: number; killEvery: number; split: number
  destFault: number; fileDelay?: number; leaseTtl: number; seed?: number; json?: boolean; spTasks: number; spThrottle: number
}>()
const seed = opts.seed ?? freshSeed()
const result = await runChaos({
  agents: opts.agents,
  tasks: opts.tasks,
  files: opts.files,
  durationS: opts.duration,
  killEveryS: opts.killEvery,
  splitS: opts.split,
  destFaultS: opts.destFault,
  leaseTtlS: opts.leaseTtl,
  spTasks: opts.spTasks,
  spThrottleRate: opts.spThrottle / 100,
  seed,
  ...(opts.fileDelay !== undefined ? { fileDelayMs: opts.fileDelay } : {}),
})
console.log('\nchecks:')
for (const c of result.checks) console.log(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`)
console.log('\nfigures:')
for (const [k, v] of Object.entries(result.figures)) console.log(`  ${k.padEnd(28)} ${v}`)
if (opts.json) console.log(JSON.stringify(result))
console.log(`\n${result.ok ? 'chaos run passed' : 'chaos run FAILED'} (replay: npm run chaos -- --agents ${opts.agents} --tasks ${opts.tasks} --files ${opts.files} --duration ${opts.duration} --kill-every ${opts.killEvery} --split ${opts.split} --sp-tasks ${opts.spTasks} --seed ${seed})`)
process.exit(result.ok ? 0 : 1)
