/**
 * mDNS: three agents in three network namespaces joined by a bridge (created here, removed in afterAll)
 * find each other with no --peer and converge. Skipped, with the reason, where namespaces cannot be made.
 */
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { needTool } from '../support/system-tools.ts'

// Real processes on a possibly loaded 2-core machine: generous bounds (every wait still has one).
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 })

const tag = crypto.randomBytes(2).toString('hex')
const subnet = `10.${150 + (parseInt(tag, 16) % 90)}.${parseInt(tag.slice(2), 16)}`
const bridge = `mmb${tag}`
const ns = (i: number) => `mmns${tag}${i}`
const veth = (i: number) => `mmv${tag}${i}`
const N = 3

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' })
}

function setUp(): string | null {
  try {
    ip('link', 'add', bridge, 'type', 'bridge')
    ip('link', 'set', bridge, 'up')
    for (let i = 1; i <= N; i++) {
      ip('netns', 'add', ns(i))
      ip('link', 'add', veth(i), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns(i))
      ip('link', 'set', veth(i), 'master', bridge, 'up')
      ip('-n', ns(i), 'addr', 'add', `${subnet}.${i}/24`, 'dev', 'eth0')
      ip('-n', ns(i), 'link', 'set', 'eth0', 'up')
      ip('-n', ns(i), 'link', 'set', 'lo', 'up')
      // without a multicast route mDNS sends fail with ENETUNREACH
      ip('-n', ns(i), 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
    }
    return null
  } catch (err) {
    const e = err as Error & { stderr?: Buffer }
    return `cannot create network namespaces here (${(e.stderr?.toString() || e.message).trim().split('\n')[0]})`
  }
}

function tearDown(): void {
  for (let i = 1; i <= N; i++) {
    try {
      ip('netns', 'del', ns(i))
    } catch {
      /* not created */
    }
  }
  try {
    ip('link', 'del', bridge)
  } catch {
    /* not created */
  }
}

// Probe once at collection (so the suite can be skipped with its reason), then build for real in beforeAll.
// Needs `ip` (a missing one fails under .ci/run) and the right to make namespaces (root, CAP_NET_ADMIN).
const iproute = needTool('ip', 'makes the network namespaces')
const skipReason = iproute.skip ? iproute.reason : setUp()
if (!iproute.skip) {
  tearDown()
  if (skipReason) console.warn(`mdns.test.ts skipped: ${skipReason}`)
}

let fleet: Fleet
const agents: AgentProc[] = []

describe.skipIf(skipReason !== null)('mDNS in network namespaces', () => {
  beforeAll(async () => {
    const err = setUp()
    if (err) throw new Error(err)
    fleet = await createFleet({ coreOnly: true })
    for (let i = 1; i <= N; i++) {
      agents.push(
        await fleet.start(`ns${i}`, { noMdns: false, listen: `/ip4/${subnet}.${i}/tcp/0`, prefix: ['ip', 'netns', 'exec', ns(i)] }),
      )
    }
  })

  afterAll(async () => {
    await fleet?.cleanup()
    tearDown()
  })

  it('agents find each other without --peer and converge', async () => {
    await fleet.waitFor(async () => {
      const conns = await Promise.all(agents.map(async (a) => (await fleet.call(a, 'status')).connections.length))
      return conns.every((n) => n === N - 1)
    }, { timeoutMs: 60_000, message: 'every agent connected to the other two by mDNS' })
    await fleet.call(agents[0]!, 'test.writeRecords', { count: 100, prefix: 'lan' })
    await fleet.call(agents[2]!, 'test.writeRecords', { count: 100, prefix: 'lan2' })
    const hash = await fleet.converged(agents)
    for (const a of agents) {
      const l = await fleet.call(a, 'test.ledger')
      expect(l.hash).toBe(hash)
      expect(l.validTasks).toBe(200)
    }
    const rows = JSON.parse((await fleet.run(['agents', '--json'], agents[1]!)).stdout) as { state: string }[]
    expect(rows.filter((r) => r.state === 'online')).toHaveLength(N)
  })
})
