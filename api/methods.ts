/**
 * The control API: every method the agent serves to its local clients (the CLI, the fleet view), with
 * a zod schema for its params and the type of its reply. The agent's ControlServer parses every request
 * with these schemas in one place; the client (api/client.ts) is typed by the same table but imports
 * it as types only, so a CLI command does not load zod to send a request.
 *
 * Schemas check the shape of a request (a string where one is expected, a list of strings, …); what a
 * value means (is this a task id we know, a valid source path) is the service's to judge.
 */
import { isAbsolute } from 'node:path'
import { z } from 'zod'
import { parseStatusFilter, type ReportFilter } from '../protocol/report-rows.ts'
import { parseSettingDate, type Settings } from '../protocol/settings.ts'
import type { TaskStatus, AgentJson, FleetSnapshot, TaskJson, TaskView } from '../protocol/views.ts'
import type { TagsRow } from '../protocol/tags-csv.ts'
import type { FleetUserMap } from '../protocol/usermap.ts'
import type { GroupSettings } from '../protocol/fleet-config.ts'
import type {
  AddTaskReply, AgentStatus, FleetEvent, ImportPreviewReply, ImportReply, ReportWriteResult, RerunReply, SettingSetReply, StopReply, UsermapCheckReply,
} from './replies.ts'

/** Carries a reply's type in the table; the value is never read (replies are not checked at run time). */
const reply = <T>(): T => undefined as T

const NON_EMPTY = 'expected a non-empty string'
const nonEmpty = () => z.string({ error: NON_EMPTY }).min(1, { error: NON_EMPTY })
const noParams = z.object({})
const taskId = z.object({ id: nonEmpty() })
const taskIds = z.object({ ids: z.array(nonEmpty()).min(1).max(100_000) })

/** One task as an admin gives it; validateTaskInput checks each field's meaning and names the field. */
const taskInput = z.object({
  source: z.string(),
  dest: z.string(),
  library: z.string().nullish(),
  folder: z.string().nullish(),
  name: z.string().nullish(),
  group: z.string().nullish(),
  settings: z.record(z.string(), z.unknown()).optional(),
  /** checked by the task service (protocol/tags.ts) */
  tags: z.unknown().optional(),
  startAt: z.string().nullish(),
})

/** `task edit`'s flags; the task service checks what they mean (protocol/task-edit.ts) and names the flag. */
const taskEdit = z.object({
  name: z.string().nullish(),
  group: z.string().nullish(),
  startAt: z.string().nullish(),
  settings: z.record(z.string(), z.unknown()).nullish(),
  resetSettings: z.boolean().optional(),
  tags: z.array(z.string()).max(1000).nullish(),
  clearTags: z.boolean().optional(),
})

/** An import file as the client read it: its name (for messages) and its bytes in base64. */
// (The content is not checked as base64 here: a regular expression over a 67 MB line costs more than
// the import's own parse, which refuses a file that does not decode.)
const importFile = z.object({ fileName: nonEmpty(), content: z.string() })

const STATUS_WORDS = 'use queued, scanning, in-progress, paused, completed, failed or cancelled'

/** Each status word understood (Migration Manager's words too), or an issue naming the one that is not. */
const statusList = z
  .array(z.string())
  .nullish()
  .transform((list, ctx) => {
    const statuses: TaskStatus[] = []
    for (const [i, s] of (list ?? []).entries()) {
      const st = parseStatusFilter(s)
      if (st) statuses.push(st)
      else ctx.issues.push({ code: 'custom', path: [i], message: `${JSON.stringify(s)} is not a task status: ${STATUS_WORDS}`, input: s })
    }
    return statuses
  })

/** A DATE as the contract defines it, as an ISO instant. */
const sinceDate = z
  .string()
  .nullish()
  .transform((v, ctx) => {
    if (v === undefined || v === null) return undefined
    const d = parseSettingDate(v)
    if (d.ok) return d.value
    ctx.issues.push({ code: 'custom', message: d.error, input: v })
    return z.NEVER
  })

const reportParams = z
  .object({
    outDir: z.string({ error: 'expected an absolute path: give --out DIR' }).refine(isAbsolute, { error: 'must be an absolute path: give --out DIR' }),
    taskIds: z.array(z.string()).nullish(),
    statuses: statusList,
    agent: z.string().trim().min(1, { error: 'expected an agent name or peer id' }).nullish(),
    since: sinceDate,
    perRound: z.boolean().optional(),
  })
  .transform((p): { outDir: string; filter: ReportFilter; perRound: boolean } => {
    const filter: ReportFilter = { taskIds: p.taskIds ?? [], statuses: p.statuses }
    if (p.agent) filter.agent = p.agent
    if (p.since) filter.since = p.since
    return { outDir: p.outDir, filter, perRound: p.perRound === true }
  })

/** Request/reply methods. */
export const CONTROL_METHODS = {
  status: { params: noParams, reply: reply<AgentStatus>() },
  'agents.list': { params: noParams, reply: reply<AgentJson[]>() },
  /** agent: a peer id or a name; empty or absent means the agent serving the request */
  'agent.setEnabled': { params: z.object({ agent: z.string().optional(), enabled: z.boolean({ error: 'expected true or false' }) }), reply: reply<AgentJson>() },
  'agent.stop': { params: noParams, reply: reply<StopReply>() },
  /** agent: a peer id or a name of an offline agent; it leaves the fleet view until it is heard again */
  'agent.forget': { params: z.object({ agent: nonEmpty() }), reply: reply<{ id: string; name: string }>() },
  /**
   * A fleet-wide override of an agent's own flags, as typed on the command line (checked by the agent,
   * which names the flag): '' clears that field, `clear` every field.
   */
  'agent.set': {
    params: z.object({ agent: nonEmpty(), group: z.string().optional(), capacity: z.string().optional(), maxMbps: z.string().optional(), clear: z.boolean().optional() }),
    reply: reply<AgentJson>(),
  },
  /** a group's work window (protocol/work-window.ts), its zone and bandwidth limit, as typed; '' clears one */
  'group.set': {
    params: z.object({ name: nonEmpty(), window: z.string().optional(), tz: z.string().optional(), maxMbps: z.string().optional() }),
    reply: reply<GroupSettings>(),
  },
  'group.list': { params: noParams, reply: reply<GroupSettings[]>() },

  'task.add': { params: z.object({ input: taskInput }), reply: reply<AddTaskReply>() },
  /** all or nothing: every task of the file, or none and every bad record named */
  'task.import': { params: importFile, reply: reply<ImportReply>() },
  'task.importPreview': { params: importFile, reply: reply<ImportPreviewReply>() },
  /** Migration Manager's tags CSV: every task's id, name, source and tags; and the tags read back by id */
  'task.tagsExport': { params: noParams, reply: reply<TagsRow[]>() },
  'task.tagsImport': { params: importFile, reply: reply<{ updated: number; unchanged: number }>() },
  'task.list': { params: noParams, reply: reply<TaskJson[]>() },
  'task.views': { params: noParams, reply: reply<TaskView[]>() },
  /** id: a task id or a unique prefix of it (4 characters or more) */
  'task.show': { params: taskId, reply: reply<TaskView>() },
  'task.showJson': { params: taskId, reply: reply<TaskJson>() },
  'task.pause': { params: taskId, reply: reply<void>() },
  'task.resume': { params: taskId, reply: reply<void>() },
  'task.rerun': { params: taskId, reply: reply<RerunReply>() },
  'task.cancel': { params: taskId, reply: reply<void>() },
  /** settings, name, group, start time, tags of a task that is not running; all or nothing */
  'task.edit': { params: z.object({ id: nonEmpty(), edit: taskEdit }), reply: reply<{ id: string; changed: string[]; warnings: string[] }>() },
  /** ids: task ids or unique prefixes; all or none */
  'task.delete': { params: taskIds, reply: reply<{ ids: string[] }>() },
  /** from scan-only tasks, migration tasks (Migration Manager's "Copy to migrations"); the new ids */
  'task.migrate': { params: taskIds, reply: reply<{ ids: string[] }>() },
  'task.archive': { params: taskIds, reply: reply<{ ids: string[] }>() },
  'task.unarchive': { params: taskIds, reply: reply<{ ids: string[] }>() },

  'settings.get': { params: noParams, reply: reply<Settings>() },
  /** key: a setting's Migration Manager name (or an alias); value: as typed on the command line */
  'settings.set': { params: z.object({ key: nonEmpty(), value: z.union([z.string(), z.number(), z.boolean()]).transform(String) }), reply: reply<SettingSetReply>() },

  /** the fleet's user mapping (Migration Manager's CSV), whole: replaces the map, all or nothing */
  'usermap.import': { params: importFile, reply: reply<{ rows: number; replaced: number }>() },
  'usermap.list': { params: noParams, reply: reply<FleetUserMap>() },
  /** id: a task id or a unique prefix; its last scan's owners the map does not resolve */
  'usermap.check': { params: taskId, reply: reply<UsermapCheckReply>() },

  'report.write': { params: reportParams, reply: reply<ReportWriteResult>() },
  'fleet.snapshot': { params: noParams, reply: reply<FleetSnapshot>() },
}

/** Stream methods: the agent pushes `{id, event}` lines until the client closes the connection. */
export const CONTROL_STREAMS = {
  /** one full snapshot, then a delta every intervalMs (at least 100 ms, 500 by default) */
  'fleet.watch': {
    params: z.object({ intervalMs: z.number().optional().transform((ms) => (ms === undefined ? 500 : Math.max(100, ms))) }),
    event: reply<FleetEvent>(),
  },
}

export type MethodName = keyof typeof CONTROL_METHODS
export type StreamName = keyof typeof CONTROL_STREAMS
type Spec<M extends MethodName | StreamName> = M extends MethodName ? (typeof CONTROL_METHODS)[M] : M extends StreamName ? (typeof CONTROL_STREAMS)[M] : never

/** What a client sends. */
export type ParamsIn<M extends MethodName | StreamName> = z.input<Spec<M>['params']>
/** What a handler receives: the params as the schema parsed them (defaults filled in, values normalised). */
export type Params<M extends MethodName | StreamName> = z.output<Spec<M>['params']>
export type Reply<M extends MethodName> = (typeof CONTROL_METHODS)[M]['reply']
export type EventOf<S extends StreamName> = (typeof CONTROL_STREAMS)[S]['event']
