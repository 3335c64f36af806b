/**
 * Report fixtures: task views whose counters are derived from the very item records the generator
 * yields, so a test can check the written reports against numbers it computed itself.
 */
import type { ItemRecord, ItemStatus } from '../../protocol/items.ts'
import type { TaskStatus, TaskView } from '../../protocol/views.ts'
import { DEFAULT_SETTINGS } from '../../protocol/settings.ts'

export const AGENTS: Record<string, string> = {
  '12D3KooWAgentAlpha111111111111111111111111111': 'vm-alpha',
  '12D3KooWAgentBravo111111111111111111111111111': 'vm-bravo, "eu"',
  '12D3KooWAgentCharlie11111111111111111111111111': 'vm-charlie',
}
export const AGENT_IDS = Object.keys(AGENTS)
export const agentName = (id: string): string => AGENTS[id] ?? id

export interface ItemPlan {
  round: number
  status: ItemStatus
  count: number
  size: number
  isFolder?: boolean
  category?: string
  errorCode?: string
  readiness?: ItemRecord['readiness']
  names?: string[]
}

export function makeItems(taskId: string, source: string, device: string, plans: ItemPlan[], startMs: number): ItemRecord[] {
  const out: ItemRecord[] = []
  let k = 0
  for (const p of plans) {
    for (let i = 0; i < p.count; i++, k++) {
      const name = p.names?.[i] ?? `file ${k}.${p.isFolder ? '' : 'docx'}`
      out.push({
        taskId,
        round: p.round,
        source: `${source}\\${name}`,
        destination: `https://contoso.sharepoint.com/sites/t/Documents/${name}`,
        name,
        extension: p.isFolder ? '' : (name.split('.').pop() ?? '').toLowerCase(),
        size: p.isFolder ? 0 : p.size,
        isFolder: p.isFolder ?? false,
        status: p.status,
        resultCategory: p.category ?? (p.status === 'Skipped' ? 'Filtered out' : p.status === 'Failed' ? 'Source read error' : 'Success'),
        message: p.status === 'Failed' ? 'Access is denied, "really"\nsecond line' : '',
        errorCode: p.errorCode ?? (p.status === 'Failed' ? '0x01110003' : ''),
        device,
        at: new Date(startMs + k * 1000).toISOString(),
        readiness: p.readiness ?? (p.status === 'Failed' ? 'error' : 'ready'),
      })
    }
  }
  return out
}

/** A task view whose current-round counters and bytes are folded from its items, as the engine would. */
export function taskFrom(
  id: string,
  name: string,
  source: string,
  status: TaskStatus,
  agent: string | null,
  items: ItemRecord[],
  extra: Partial<TaskView> = {},
): TaskView {
  const round = items.reduce((m, i) => Math.max(m, i.round), 0)
  const cur = items.filter((i) => i.round === round)
  const n = (s: ItemStatus) => cur.filter((i) => i.status === s).length
  const counts = {
    scanned: cur.length,
    toMigrate: cur.length - n('Skipped'),
    migrated: n('Migrated'),
    unchanged: n('Unchanged'),
    skipped: n('Skipped'),
    failed: n('Failed'),
  }
  const total = cur.filter((i) => i.status !== 'Skipped').reduce((s, i) => s + i.size, 0)
  const migrated = cur.filter((i) => i.status === 'Migrated' || i.status === 'Unchanged').reduce((s, i) => s + i.size, 0)
  return {
    id,
    name,
    archived: false,
    tags: [],
    startAt: null,
    source,
    destination: { url: 'https://contoso.sharepoint.com/sites/t', library: 'Documents', folder: null },
    group: 'Default',
    status,
    agent,
    round,
    counts,
    bytes: { total, migrated },
    createdAt: '2026-01-10T08:00:00.000Z',
    startedAt: status === 'queued' ? null : '2026-01-10T09:00:00.000Z',
    finishedAt: status === 'completed' || status === 'failed' ? '2026-01-10T10:02:03.000Z' : null,
    failureReason: status === 'failed' ? 'Destination unreachable for 30 minutes' : null,
    waitingReason: null,
    epoch: agent ? 1 : 0,
    settings: DEFAULT_SETTINGS,
    overrides: {},
    timeline: [],
    itemHolders: {},
    ...extra,
  }
}

export async function* fromArray<T>(xs: T[]): AsyncIterable<T> {
  for (const x of xs) yield x
}
