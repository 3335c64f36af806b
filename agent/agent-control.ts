/** The core's control methods: status, the agent list, enable/disable, stop. */
import { buildAgentList } from '../protocol/agents-view.ts'
import type { Ledger, RecordSigner } from '../protocol/ledger.ts'
import type { AgentJson } from '../protocol/views.ts'
import type { GroupSettings } from '../protocol/fleet-config.ts'
import type { ReplicationStats } from '../api/replies.ts'
import { ControlError, type ControlServer } from './control/server.ts'
import type { Presence } from './presence/presence.ts'

/** What the core's methods read and do: the agent's identity, its ledger and presence, and a few actions. */
export interface CoreControlDeps {
  peerId: string
  /** signs the admin commands it writes for its clients */
  signer: RecordSigner
  name: string
  group: string
  version: string
  /** multiaddrs with /p2p/<peerId> */
  addresses(): string[]
  /** peer ids of the open connections (may repeat) */
  connectedPeers(): string[]
  ledger: Pick<Ledger, 'agents' | 'commandsFor' | 'addCommand' | 'sizes'>
  presence: Pick<Presence, 'snapshots'>
  /** records an agent is behind (self: measured here; a peer: as its heartbeat says) */
  catchingUp?: (agentId: string) => number | null
  /** the replication digest of the ledger */
  digest(): Uint8Array
  replicationStats(): ReplicationStats
  nextHlc(): string
  /** resolves once every change so far is stored */
  flush(): Promise<void>
  /** the fleet's group settings (windows, limits), for the agent list */
  groups?: () => ReadonlyMap<string, GroupSettings>
  stop(): Promise<void>
}

type AgentsDeps = Pick<CoreControlDeps, 'peerId' | 'ledger' | 'presence' | 'catchingUp' | 'groups'>

export function agentList(deps: AgentsDeps): AgentJson[] {
  return buildAgentList({
    selfId: deps.peerId,
    records: deps.ledger.agents(),
    commands: (id) => deps.ledger.commandsFor(id),
    presence: deps.presence.snapshots(),
    ...(deps.groups ? { groups: deps.groups() } : {}),
    nowIso: new Date().toISOString(),
    ...(deps.catchingUp ? { catchingUp: deps.catchingUp } : {}),
  })
}

/** AGENT = a peer id or a name; names must be unique among known agents. */
export function resolveAgent(deps: AgentsDeps, ref: string | undefined): AgentJson {
  const list = agentList(deps)
  if (!ref) return list.find((a) => a.id === deps.peerId)!
  const byId = list.find((a) => a.id === ref)
  if (byId) return byId
  const byName = list.filter((a) => a.name === ref)
  if (byName.length === 1) return byName[0]!
  if (byName.length > 1) throw new ControlError(`more than one agent is named ${ref} (${byName.map((a) => a.id).join(', ')}): give the peer id`)
  throw new ControlError(`no agent ${ref} is known to this fleet: see mmesh agents for names and ids`)
}

export function registerCoreControl(control: ControlServer, deps: CoreControlDeps): void {
  control.handle('status', () => ({
    peerId: deps.peerId,
    name: deps.name,
    group: deps.group,
    version: deps.version,
    addresses: deps.addresses(),
    connections: [...new Set(deps.connectedPeers())],
    sizes: deps.ledger.sizes(),
    digest: Buffer.from(deps.digest()).toString('hex'),
    replication: deps.replicationStats(),
    rss: process.memoryUsage().rss,
    memory: process.memoryUsage(),
    cpuMicros: (({ user, system }) => user + system)(process.cpuUsage()),
    pid: process.pid,
  }))
  control.handle('agents.list', () => agentList(deps))
  control.handle('agent.setEnabled', async ({ agent, enabled }) => {
    const target = resolveAgent(deps, agent || undefined)
    deps.ledger.addCommand(deps.signer, { kind: enabled ? 'agent.enable' : 'agent.disable', hlc: deps.nextHlc(), target: target.id })
    await deps.flush()
    return resolveAgent(deps, target.id)
  })
  control.handle('agent.stop', () => {
    // Answer first, then stop: the client waits for the socket to go away.
    setImmediate(() => void deps.stop())
    return { stopping: true, pid: process.pid }
  })
}
