/**
 * The fleet-wide agent and group commands: `agent forget`, `agent set`, `group set`, `group list`. Each
 * checks what the admin typed (one line naming the flag and the fix), then writes one signed command to
 * the ledger (protocol/fleet-config.ts folds them on every node); nothing is written when a value is bad.
 */
import { MAX_MBPS, type AgentSetValue, type GroupSetValue, type GroupSettings } from '../protocol/fleet-config.ts'
import { isTimeZone, parseWindow } from '../protocol/work-window.ts'
import { ControlError, type ControlServer } from './control/server.ts'
import { resolveAgent, type CoreControlDeps } from './agent-control.ts'

export type FleetConfigDeps = Pick<CoreControlDeps, 'peerId' | 'signer' | 'ledger' | 'presence' | 'nextHlc' | 'flush'> & {
  ledger: Pick<CoreControlDeps['ledger'], 'agents' | 'commandsFor' | 'addCommand'>
  isOnline(agentId: string): boolean
  groups(): ReadonlyMap<string, GroupSettings>
}

const MBPS_FIX = `a number of Mbit/s from 0 (no limit) to ${MAX_MBPS}, or '' to clear`

function mbps(flag: string, text: string): number | null {
  if (text.trim() === '') return null
  const n = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(n) || n < 0 || n > MAX_MBPS) throw new ControlError(`${flag} '${text}' is not ${MBPS_FIX}`)
  return n
}

function groupName(flag: string, text: string): string {
  const g = text.trim()
  if (g.length > 255) throw new ControlError(`${flag} is longer than 255 characters`)
  return g
}

export function registerFleetConfigControl(control: ControlServer, deps: FleetConfigDeps): void {
  control.handle('agent.forget', async ({ agent }) => {
    const target = resolveAgent(deps, agent)
    if (target.id === deps.peerId || deps.isOnline(target.id)) {
      throw new ControlError(`agent ${target.name} (${target.id}) is online: only an agent gone for good can be forgotten; stop it first (mmesh stop on its machine), or use mmesh agent disable`)
    }
    deps.ledger.addCommand(deps.signer, { kind: 'agent.forget', hlc: deps.nextHlc(), target: target.id })
    await deps.flush()
    return { id: target.id, name: target.name }
  })

  control.handle('agent.set', async (p) => {
    const target = resolveAgent(deps, p.agent)
    let value: AgentSetValue
    if (p.clear) {
      if (p.group !== undefined || p.capacity !== undefined || p.maxMbps !== undefined) throw new ControlError('--clear drops every override: give it alone, or give only the flags to change')
      value = { clear: true }
    } else {
      const v: Record<string, unknown> = {}
      if (p.group !== undefined) v.group = groupName('--group', p.group) || null
      if (p.capacity !== undefined) {
        const c = p.capacity.trim()
        if (c === '') v.capacity = null
        else if (!/^\d+$/.test(c) || Number(c) > 1000) throw new ControlError(`--capacity '${p.capacity}' is not a whole number from 0 to 1000, or '' to clear`)
        else v.capacity = Number(c)
      }
      if (p.maxMbps !== undefined) v.maxMbps = mbps('--max-mbps', p.maxMbps)
      if (Object.keys(v).length === 0) throw new ControlError('nothing to set: give --group, --capacity or --max-mbps (an empty value clears one), or --clear')
      value = v as AgentSetValue
    }
    deps.ledger.addCommand(deps.signer, { kind: 'agent.set', hlc: deps.nextHlc(), target: target.id, value })
    await deps.flush()
    return resolveAgent(deps, target.id)
  })

  control.handle('group.set', async (p) => {
    const name = groupName('group NAME', p.name)
    if (name === '') throw new ControlError('the group name is empty: give the name agents start with (--group)')
    const v: GroupSetValue = {}
    if (p.window !== undefined) {
      if (p.window.trim() === '') v.window = null
      else {
        const w = parseWindow(p.window)
        if (!w.ok) throw new ControlError(`--window '${p.window}': ${w.error}`)
        v.window = w.value.text
      }
    }
    if (p.tz !== undefined) {
      if (p.tz.trim() === '') v.tz = null
      else if (!isTimeZone(p.tz.trim())) throw new ControlError(`--tz '${p.tz}' is not a time zone: give an IANA name such as Europe/Berlin or UTC, or '' for each agent's own`)
      else v.tz = p.tz.trim()
    }
    if (p.maxMbps !== undefined) v.maxMbps = mbps('--max-mbps', p.maxMbps)
    if (Object.keys(v).length === 0) throw new ControlError('nothing to set: give --window, --tz or --max-mbps (an empty value clears one)')
    deps.ledger.addCommand(deps.signer, { kind: 'group.set', hlc: deps.nextHlc(), target: name, value: v })
    await deps.flush()
    return deps.groups().get(name) ?? { name, window: null, tz: null, maxMbps: null }
  })

  control.handle('group.list', () => [...deps.groups().values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
}
