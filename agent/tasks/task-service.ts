/**
 * Admin operations on tasks and global settings, as the control endpoint serves them to `mmesh task …`
 * and `mmesh settings …` and to the fleet view. Every write is one Yjs transaction, so an import of
 * 5,000 tasks lands whole or not at all; every refusal is one line that names the thing and the fix.
 */
import { randomUUID } from 'node:crypto'
import type { Ledger, RecordSigner } from '../../protocol/ledger.ts'
import { effectiveSpec, foldSettings, foldTaskIntent } from '../../protocol/intent.ts'
import { deriveTask, deriveTaskJson } from '../../protocol/status.ts'
import { parseSettingValue, resolveSettingKey, SETTING_KEYS, type Settings } from '../../protocol/settings.ts'
import type { CommandKind, TaskSpec } from '../../protocol/records.ts'
import type { TaskJson, TaskLive, TaskView } from '../../protocol/views.ts'
import { isLowerBound, taskSecondsLeft } from '../../protocol/time-left.ts'
import { formatFieldErrors, validateTaskInput, type TaskDraft, type TaskInput } from '../../protocol/task-input.ts'
import { duplicateKey, parseImportSteps } from '../../protocol/import.ts'
import { eachInSteps } from '../../protocol/steps.ts'
import { runSteps } from './run-steps.ts'
import { createPlaceChecks } from './place-checks.ts'
import { parseTagsCsv, type TagsRow } from '../../protocol/tags-csv.ts'
import { applyEdit, editedFields, foldEdit, validateTaskEdit, type TaskEditInput } from '../../protocol/task-edit.ts'

export class TaskServiceError extends Error {
  override name = 'TaskServiceError'
}

export interface TaskServiceDeps {
  ledger: Ledger
  /** this agent's identity: it signs the tasks and commands it writes for its clients */
  signer: RecordSigner
  nextHlc(): string
  /** Why a queued task waits (no agent of its group online, nobody can read the source, …), from presence. */
  waitingReasonFor(spec: TaskSpec): string | null
  /** whether an agent is online now (presence) */
  isOnline(agentId: string): boolean
  /** the holder's live progress of a running task, from presence (for the time left) */
  liveFor?(taskId: string): TaskLive | undefined
  now?: () => Date
}

export function createTaskService(deps: TaskServiceDeps) {
  const { ledger } = deps
  const now = deps.now ?? (() => new Date())
  /** the import running now, if any (they run one at a time) */
  let importing: Promise<unknown> = Promise.resolve()

  function globals(): Settings {
    return foldSettings(ledger.commands().filter((c) => c.kind === 'settings.set'))
  }

  /** A task as its edits (`task edit`) made it; the spec itself when it was never edited. */
  const edited = (spec: TaskSpec): TaskSpec => effectiveSpec(spec, ledger.commandsFor(spec.id))

  /** The tasks that exist: a deleted task's spec stays in the ledger as part of its tombstone, unseen. */
  const liveSpecs = (): TaskSpec[] => ledger.tasks().filter((t) => !foldTaskIntent(ledger.commandsFor(t.id)).deleted).map(edited)

  const records = (spec: TaskSpec) => ({ spec, commands: ledger.commandsFor(spec.id), claims: ledger.claimsFor(spec.id), outcomes: ledger.outcomesFor(spec.id) })

  function view(spec: TaskSpec, g: Settings = globals()): TaskView {
    const v = deriveTask(records(spec), g)
    if (v.status === 'queued') v.waitingReason = deps.waitingReasonFor(edited(spec))
    return v
  }

  function resolveId(idOrPrefix: string): TaskSpec {
    const exact = ledger.task(idOrPrefix)
    if (exact && !foldTaskIntent(ledger.commandsFor(exact.id)).deleted) return edited(exact)
    const matches = idOrPrefix.length >= 4 ? liveSpecs().filter((t) => t.id.startsWith(idOrPrefix)) : []
    if (matches.length === 1) return matches[0]!
    if (matches.length > 1) throw new TaskServiceError(`task id ${idOrPrefix} is ambiguous (${matches.length} tasks start with it): give more of the id`)
    throw new TaskServiceError(`no task ${idOrPrefix}: see the ids with mmesh task list`)
  }

  /**
   * A scan (ScanOnly) and a migration of the same source and destination are different tasks, as
   * Migration Manager's Scans and Migrations tabs are: `task migrate` makes the second from the first.
   */
  const dupKey = (d: Pick<TaskDraft, 'source' | 'destination' | 'settings'>, g: Settings) => `${duplicateKey(d as TaskDraft)}\u0000${(d.settings.ScanOnly ?? g.ScanOnly) ? 'scan' : 'migrate'}`

  const { placeProblem, groupAgents, emailProblem } = createPlaceChecks({ ledger, isOnline: deps.isOnline })

  /** Tasks that count for the duplicate check: a cancelled, archived or deleted task's pair may be added again. */
  function existingByKey(g: Settings = globals()): Map<string, string> {
    const m = new Map<string, string>()
    for (const t of ledger.tasks()) {
      const intent = foldTaskIntent(ledger.commandsFor(t.id))
      if (intent.cancelled || intent.archived || intent.deleted) continue
      m.set(dupKey(edited(t), g), t.id)
    }
    return m
  }

  /** A task's contract JSON: derived without the rest of a view (the timeline, settings), as 10,000 tasks add up. */
  function listed(spec: TaskSpec): TaskJson {
    const j = deriveTaskJson(records(spec))
    if (j.status === 'queued') j.waitingReason = deps.waitingReasonFor(spec)
    return j
  }

  function toSpec(d: TaskDraft): Omit<TaskSpec, 'v' | 'createdBy'> {
    return { ...d, id: randomUUID(), createdAt: now().toISOString() }
  }

  function command(kind: CommandKind, target: string, value?: unknown): void {
    ledger.addCommand(deps.signer, { kind, target, hlc: deps.nextHlc(), ...(value === undefined ? {} : { value }) })
  }

  return {
    globals,
    view,

    /** All tasks as views (the fleet view and reports use them). */
    views(): TaskView[] {
      const g = globals()
      return liveSpecs().map((t) => view(t, g))
    },

    add(input: TaskInput): { id: string; warnings: string[] } {
      const checked = validateTaskInput(input)
      if (!checked.ok) throw new TaskServiceError(formatFieldErrors(checked.errors))
      const g = globals()
      const noTenant = emailProblem(checked.spec, g)
      if (noTenant) throw new TaskServiceError(noTenant)
      const existing = existingByKey(g).get(dupKey(checked.spec, g))
      if (existing) throw new TaskServiceError(`a task with this source and destination exists already (${existing}): rerun it with mmesh task rerun ${existing}`)
      const place = placeProblem(checked.spec)
      if (place && 'error' in place) throw new TaskServiceError(place.error)
      const spec = toSpec(checked.spec)
      ledger.addTasks(deps.signer, [spec])
      return { id: spec.id, warnings: place ? [...checked.warnings, place.warning] : checked.warnings }
    },

    /** Checks an import file; adds nothing. Answers other requests between slices of rows (steps.ts). */
    async previewImport(fileName: string, content: Uint8Array) {
      const parsed = await runSteps(parseImportSteps(fileName, content))
      if (!parsed.ok) return parsed
      const g = globals()
      const existing = existingByKey(g)
      const agentsOf = groupAgents()
      const errors: string[] = []
      const warnings: string[] = []
      await runSteps(eachInSteps(parsed.tasks, (d, i) => {
        const where = `${fileName}:${(parsed as { rows?: (number | string)[] }).rows?.[i] ?? `task ${i + 1}`}`
        const noTenant = emailProblem(d, g)
        if (noTenant) errors.push(`${where}: ${noTenant}`)
        const id = existing.get(dupKey(d, g))
        if (id) errors.push(`${where}: a duplicate task has already been created (${id})`)
        const place = placeProblem(d, agentsOf)
        if (place && 'error' in place) errors.push(`${where}: ${place.error}`)
        else if (place) warnings.push(`${where}: ${place.warning}`)
      }))
      return errors.length > 0 ? { ok: false as const, errors } : { ...parsed, warnings: [...parsed.warnings, ...warnings] }
    },

    /**
     * All-or-nothing: every task of the file in one transaction, or none and every bad record named. The
     * reading, checking and signing yield to other requests; the write does not. Imports on this agent
     * run one at a time, so two of the same file cannot both pass the duplicate check.
     */
    import(fileName: string, content: Uint8Array): Promise<{ ids: string[]; warnings: string[] }> {
      const run = importing.then(async () => {
        const checked = await this.previewImport(fileName, content)
        if (!checked.ok) throw new TaskServiceError(checked.errors.join('\n'))
        const specs = checked.tasks.map(toSpec)
        await runSteps(ledger.addTasksSteps(deps.signer, specs))
        return { ids: specs.map((s) => s.id), warnings: checked.warnings }
      })
      importing = run.catch(() => undefined)
      return run
    },

    /** Every task's contract JSON: derived without the rest of a view (the timeline, settings), as 10,000 tasks add up. */
    list(): TaskJson[] {
      return liveSpecs().map(listed)
    },

    /**
     * list() as JSON text, a slice of tasks at a time between other requests (run-steps.ts): read, too,
     * as a task's first read checks it (a fresh agent's first list of 100,000 tasks read them all at once).
     */
    async listJson(): Promise<string> {
      const parts: string[] = []
      await runSteps(
        eachInSteps(ledger.taskIds(), (id) => {
          const spec = ledger.task(id)
          if (spec && !foldTaskIntent(ledger.commandsFor(id)).deleted) parts.push(JSON.stringify(listed(edited(spec))))
        }),
      )
      return `[${parts.join(',')}]`
    },

    /** One task, with its estimated time left (a lower bound while the holder's walk goes on). */
    show(id: string): TaskView {
      const v = view(resolveId(id))
      v.estimatedSecondsLeft = this.timeLeft(v)
      if (v.estimatedSecondsLeft !== null && isLowerBound(deps.liveFor?.(v.id))) v.estimateIsLowerBound = true
      return v
    },

    /** Seconds left by the measured rate (protocol/time-left.ts), the holder's live rate preferred; null: unknown. */
    timeLeft(v: TaskView): number | null {
      return taskSecondsLeft(v, deps.liveFor?.(v.id), now().getTime())
    },

    pause(id: string): void {
      const v = view(resolveId(id))
      if (v.status === 'paused') return
      if (['completed', 'failed', 'cancelled'].includes(v.status)) throw new TaskServiceError(`task ${v.id} is ${v.status}: there is nothing to pause (rerun it with mmesh task rerun)`)
      command('task.pause', v.id)
    },

    resume(id: string): void {
      const v = view(resolveId(id))
      if (v.status !== 'paused') throw new TaskServiceError(`task ${v.id} is ${v.status}, not paused: only a paused task can be resumed`)
      command('task.resume', v.id)
    },

    rerun(id: string): { round: number } {
      const v = view(resolveId(id))
      if (!['completed', 'failed', 'cancelled'].includes(v.status)) {
        throw new TaskServiceError(`task ${v.id} is ${v.status}: rerun a completed, failed or cancelled task (pause or cancel it first, or resume it)`)
      }
      command('task.rerun', v.id)
      return { round: foldTaskIntent(ledger.commandsFor(v.id)).round }
    },

    cancel(id: string): void {
      const v = view(resolveId(id))
      if (v.status === 'cancelled') return
      if (v.status === 'completed' || v.status === 'failed') throw new TaskServiceError(`task ${v.id} is ${v.status} already: there is nothing to cancel`)
      command('task.cancel', v.id)
    },

    /**
     * Deletes, archives or unarchives tasks, all or none: every id is checked first. A running task
     * (scanning, in progress) is refused: pause or cancel it first. Archiving an archived task, or
     * unarchiving one that is not, changes nothing.
     */
    lifecycle(verb: 'delete' | 'archive' | 'unarchive', ids: readonly string[]): { ids: string[] } {
      const g = globals()
      const views = ids.map((id) => view(resolveId(id), g))
      const running = views.filter((v) => v.status === 'scanning' || v.status === 'in-progress')
      if (verb !== 'unarchive' && running.length > 0) {
        throw new TaskServiceError(`task ${running[0]!.id} is ${running[0]!.status}: pause or cancel it first (mmesh task pause ${running[0]!.id}), then ${verb} it`)
      }
      const todo = views.filter((v) => verb === 'delete' || (verb === 'archive') !== v.archived)
      for (const v of new Map(todo.map((t) => [t.id, t])).values()) command(`task.${verb}`, v.id)
      return { ids: views.map((v) => v.id) }
    },

    /**
     * `task edit`: settings, name, group, start time or tags of a task that is not running (a running
     * one is refused: pause or cancel it first, as for delete). All or nothing: one signed command. A
     * finished task keeps its results; the edit is what its next rerun uses.
     */
    edit(id: string, input: TaskEditInput): { id: string; changed: string[]; warnings: string[] } {
      const spec = resolveId(id)
      const g = globals()
      const v = view(spec, g)
      if (v.status === 'scanning' || v.status === 'in-progress') {
        throw new TaskServiceError(`task ${v.id} is ${v.status}: pause or cancel it first (mmesh task pause ${v.id}), then edit it`)
      }
      const checked = validateTaskEdit(input)
      if (!checked.ok) throw new TaskServiceError(checked.error)
      const next = applyEdit(spec, foldEdit(null, checked.edit))
      if (next.group !== spec.group) {
        const place = placeProblem(next)
        if (place && 'error' in place) throw new TaskServiceError(place.error)
        if (place) checked.warnings.push(place.warning)
      }
      if (v.status !== 'cancelled' && !v.archived) {
        const dup = existingByKey(g).get(dupKey(next, g))
        if (dup && dup !== spec.id) throw new TaskServiceError(`a task with this source and destination exists already (${dup}) as a ${(next.settings.ScanOnly ?? g.ScanOnly) ? 'scan' : 'migration'}: edit or rerun that one`)
      }
      command('task.edit', spec.id, checked.edit)
      return { id: spec.id, changed: editedFields(checked.edit), warnings: checked.warnings }
    },

    /**
     * Migration Manager's "Copy to migrations": for each scan-only task, a migration task with the same
     * source, destination, group, settings (ScanOnly off) and tags. All or none; answers the new ids.
     */
    migrate(ids: readonly string[]): { ids: string[] } {
      const g = globals()
      const existing = existingByKey(g)
      const specs = ids.map((id) => resolveId(id))
      const out: Array<Omit<TaskSpec, 'v' | 'createdBy'>> = []
      for (const spec of specs) {
        const v = view(spec, g)
        if (!v.settings.ScanOnly) throw new TaskServiceError(`task ${spec.id} is a migration already: task migrate copies a scan-only task (one added with --scan-only)`)
        const settings = { ...spec.settings, ScanOnly: false }
        const draft: TaskDraft = { name: spec.name, source: spec.source, destination: spec.destination, group: spec.group, settings, ...(v.tags.length > 0 ? { tags: v.tags } : {}) }
        const dup = existing.get(dupKey(draft, g)) ?? out.find((o) => dupKey(o, g) === dupKey(draft, g))?.id
        if (dup) throw new TaskServiceError(`a migration of task ${spec.id}'s source and destination exists already (${dup}): rerun it with mmesh task rerun ${dup}`)
        const place = placeProblem(draft)
        if (place && 'error' in place) throw new TaskServiceError(place.error)
        out.push(toSpec(draft))
      }
      ledger.addTasks(deps.signer, out)
      return { ids: out.map((s) => s.id) }
    },

    /** Every task's row of Migration Manager's tags CSV (archived ones too; deleted ones are gone). */
    tagsExport(): TagsRow[] {
      return liveSpecs().map((spec) => {
        const j = deriveTaskJson(records(spec))
        return { id: j.id, name: j.name, source: j.source, tags: j.tags }
      })
    },

    /** Reads a tags CSV back: all or nothing; each row's tags replace its task's, by a signed command. */
    tagsImport(fileName: string, content: Uint8Array): { updated: number; unchanged: number } {
      const parsed = parseTagsCsv(fileName, new TextDecoder().decode(content))
      if (!parsed.ok) throw new TaskServiceError(parsed.errors.join('\n'))
      const errors: string[] = []
      const changes: Array<{ id: string; tags: string[] }> = []
      let unchanged = 0
      for (const row of parsed.rows) {
        const spec = ledger.task(row.id)
        if (!spec || foldTaskIntent(ledger.commandsFor(spec.id)).deleted) {
          errors.push(`${fileName}:${row.line}: no task ${row.id}; the Task ID column must keep the ids the export wrote`)
          continue
        }
        const now = deriveTaskJson(records(spec)).tags
        if (now.length === row.tags.length && now.every((t, i) => t === row.tags[i])) unchanged++
        else changes.push({ id: spec.id, tags: row.tags })
      }
      if (errors.length > 0) throw new TaskServiceError(errors.join('\n'))
      for (const c of changes) command('task.tags', c.id, c.tags)
      return { updated: changes.length, unchanged }
    },

    setSetting(key: string, value: string): { key: string; value: unknown } {
      const k = resolveSettingKey(key)
      if (!k) throw new TaskServiceError(`unknown setting ${key}: use one of ${SETTING_KEYS.join(', ')}`)
      const parsed = parseSettingValue(k, value)
      if (!parsed.ok) throw new TaskServiceError(parsed.error)
      command('settings.set', k, parsed.value)
      return { key: k, value: parsed.value }
    },
  }
}

export type TaskService = ReturnType<typeof createTaskService>

export function toJson(v: TaskView): TaskJson {
  return {
    id: v.id,
    name: v.name,
    source: v.source,
    destination: v.destination,
    group: v.group,
    status: v.status,
    agent: v.agent,
    round: v.round,
    counts: v.counts,
    bytes: v.bytes,
    createdAt: v.createdAt,
    startedAt: v.startedAt,
    finishedAt: v.finishedAt,
    failureReason: v.failureReason,
    waitingReason: v.waitingReason,
    archived: v.archived,
    tags: v.tags,
    startAt: v.startAt,
    ...(v.estimatedSecondsLeft !== undefined ? { estimatedSecondsLeft: v.estimatedSecondsLeft } : {}),
    ...(v.estimateIsLowerBound ? { estimateIsLowerBound: true } : {}),
  }
}
