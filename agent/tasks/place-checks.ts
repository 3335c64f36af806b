/**
 * The checks a new task gets against the fleet as the ledger describes it: whether some agent of its group
 * may run it (by what each agent's owner allows) and whether the fleet can look up an e-mail destination.
 * Split out of task-service.ts; `task add`, `task import` and `task migrate` share them.
 */
import type { Ledger } from '../../protocol/ledger.ts'
import type { AgentRecord } from '../../protocol/records.ts'
import type { Settings } from '../../protocol/settings.ts'
import type { TaskDraft } from '../../protocol/task-input.ts'
import { advertisedAllows } from '../../protocol/access.ts'
import { isEmailDestination } from '../../protocol/task-paths.ts'

export function createPlaceChecks(deps: { ledger: Ledger; isOnline(agentId: string): boolean }) {
  const { ledger } = deps
  /**
   * Whether some agent of the task's group may run it, by what each agent's ledger entry says its owner
   * allows. None, with every such agent online: an error (nobody will ever run it). None while some are
   * offline, or no agent of the group known yet: a warning, and the task waits with a visible reason.
   */
  function placeProblem(d: TaskDraft, agentsOf: (group: string) => AgentRecord[] = groupAgents()): { error: string } | { warning: string } | null {
    const agents = agentsOf(d.group)
    if (agents.some((a) => a.access === undefined)) return null // an agent too old to say: cannot judge
    const allowing = agents.filter((a) => a.access && advertisedAllows(d, a.access))
    if (allowing.some((a) => deps.isOnline(a.id))) return null
    const places = `${d.source}${d.destination.url.startsWith('file://') ? ` and ${d.destination.url}` : ''}`
    if (allowing.length > 0) return { warning: `only agents offline now (${allowing.map((a) => a.name).join(', ')}) may run ${places}; the task waits until one is back` }
    const what = `no agent of group ${d.group} may read ${d.source}${d.destination.url.startsWith('file://') ? ` or write ${d.destination.url}` : ''}`
    const fix = 'start an agent with --source-root (or --map) and --dest-root covering them'
    if (agents.length > 0 && agents.every((a) => deps.isOnline(a.id))) return { error: `${what}: ${fix}` }
    return { warning: `${what} among the agents known${agents.length > 0 ? ' (some are offline)' : ''}; the task waits until one does: ${fix}` }
  }

  /** The ledger's agents by group, read once (an import asks for every row). */
  function groupAgents(): (group: string) => AgentRecord[] {
    const all = ledger.agents()
    const byGroup = new Map<string, AgentRecord[]>()
    return (group) => {
      let list = byGroup.get(group)
      if (!list) byGroup.set(group, (list = all.filter((a) => a.group === group)))
      return list
    }
  }

  /** A user's e-mail is looked up on the tenant's root site: without SharePointRootUrl no agent could. */
  function emailProblem(d: TaskDraft, g: Settings): string | null {
    if (!isEmailDestination(d.destination.url) || g.SharePointRootUrl) return null
    return `dest: ${d.destination.url} is an e-mail address, and the fleet does not know the tenant to look it up in: run mmesh settings set SharePointRootUrl https://TENANT.sharepoint.com first`
  }

  return { placeProblem, groupAgents, emailProblem }
}
