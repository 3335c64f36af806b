/** The core's control methods: status, the agent list, enable/disable, stop. */
import { buildAgentList } from '../protocol/agents-view.ts'
import type { AgentJson } from '../protocol/views.ts'
import { ControlError } from './control/server.ts'
import type { Agent } from './agent.ts'

export function agentList(agent: Agent): AgentJson[] {
  return buildAgentList({
    selfId: agent.peerId,
    records: agent.ledger.agents(),
    commands: (id) => agent.ledger.commandsFor(id),
    presence: agent.presence.snapshots(),
    nowIso: new Date().toISOString(),
  })
}

/** AGENT = a peer id or a name; names must be unique among known agents. */
export function resolveAgent(agent: Agent, ref: string | undefined): AgentJson {
  const list = agentList(agent)
  if (!ref) return list.find((a) => a.id === agent.peerId)!
  const byId = list.find((a) => a.id === ref)
  if (byId) return byId
  const byName = list.filter((a) => a.name === ref)
  if (byName.length === 1) return byName[0]!
  if (byName.length > 1) throw new ControlError(`more than one agent is named ${ref} (${byName.map((a) => a.id).join(', ')}): give the peer id`)
  throw new ControlError(`no agent ${ref} is known to this fleet: see mmesh agents for names and ids`)
}

export function registerCoreControl(agent: Agent): void {
  const c = agent.control
  c.handle('status', () => ({
    peerId: agent.peerId,
    name: agent.name,
    group: agent.group,
    version: agent.version,
    addresses: agent.addresses(),
    connections: [...new Set(agent.host.getConnections().map((x) => x.remotePeer.toString()))],
    sizes: agent.ledger.sizes(),
    digest: Buffer.from(agent.replicator.currentDigest()).toString('hex'),
    replication: agent.replicator.stats,
    rss: process.memoryUsage().rss,
    memory: process.memoryUsage(),
    cpuMicros: (({ user, system }) => user + system)(process.cpuUsage()),
    pid: process.pid,
  }))
  c.handle('agents.list', () => agentList(agent))
  c.handle('agent.setEnabled', async (params) => {
    const ref = typeof params.agent === 'string' && params.agent !== '' ? params.agent : undefined
    if (typeof params.enabled !== 'boolean') throw new ControlError('agent.setEnabled needs enabled: true|false')
    const target = resolveAgent(agent, ref)
    agent.ledger.addCommand(agent.signer, { kind: params.enabled ? 'agent.enable' : 'agent.disable', hlc: agent.nextHlc(), target: target.id })
    await agent.flush()
    return resolveAgent(agent, target.id)
  })
  c.handle('agent.stop', () => {
    // Answer first, then stop: the client waits for the socket to go away.
    setImmediate(() => void agent.stop())
    return { stopping: true, pid: process.pid }
  })
}
