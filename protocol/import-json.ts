/**
 * Migration Manager's bulk JSON: `{"Tasks":[{SourcePath, TargetPath, TargetList, TargetListRelativePath,
 * Settings:{...}}]}`. Keys match case-insensitively (Migration Manager's .NET reader does); unknown keys
 * are errors so a typo never silently drops a filter; retired setting keys are accepted with a warning.
 * mmesh adds optional keys of its own: `Name` (task name), `AgentGroup`, `Tags` (a list of tags, or
 * one string with `;` between them, as in the tags CSV) and `StartAt` (Run later: an ISO 8601 time).
 */
import { DuplicateFinder, MAX_IMPORT_TASKS, tooManyTasks, type ImportResult } from './import-common.ts'
import { eachInSteps, type Steps } from './steps.ts'
import { formatFieldErrors, parseSettingsRecord, validateTaskInput, type TaskDraft } from './task-input.ts'

const TASK_KEYS = ['SourcePath', 'TargetPath', 'TargetList', 'TargetListRelativePath', 'Settings', 'Name', 'AgentGroup', 'Tags', 'StartAt'] as const
type TaskKey = (typeof TASK_KEYS)[number]
const KEY_BY_LOWER = new Map<string, TaskKey>(TASK_KEYS.map((k) => [k.toLowerCase(), k]))
const SHAPE = '{"Tasks":[{"SourcePath":"\\\\\\\\server\\\\share","TargetPath":"https://HOST/sites/SITE","TargetList":"Documents"}]}'

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function textField(obj: Partial<Record<TaskKey, unknown>>, key: TaskKey, problems: string[], required: boolean): string | null {
  const v = obj[key]
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
    if (required) problems.push(`${key} is missing; it is required`)
    return null
  }
  if (typeof v !== 'string') {
    problems.push(`${key} must be a string, not ${Array.isArray(v) ? 'an array' : typeof v}`)
    return null
  }
  return v
}

function readTask(raw: unknown, where: string): { problems: string[]; draft?: TaskDraft; warnings: string[] } {
  if (!isObject(raw)) return { problems: [`expected an object with SourcePath, TargetPath and TargetList`], warnings: [] }
  const problems: string[] = []
  const obj: Partial<Record<TaskKey, unknown>> = {}
  for (const [k, v] of Object.entries(raw)) {
    const key = KEY_BY_LOWER.get(k.toLowerCase())
    if (!key) problems.push(`unknown key ${JSON.stringify(k)} (known: ${TASK_KEYS.join(', ')})`)
    else obj[key] = v
  }
  const source = textField(obj, 'SourcePath', problems, true)
  const dest = textField(obj, 'TargetPath', problems, true)
  const library = textField(obj, 'TargetList', problems, true)
  const folder = textField(obj, 'TargetListRelativePath', problems, false)
  const name = textField(obj, 'Name', problems, false)
  const group = textField(obj, 'AgentGroup', problems, false)
  const startAt = textField(obj, 'StartAt', problems, false)
  let settings: Record<string, unknown> | undefined
  const warnings: string[] = []
  if (obj.Settings !== undefined && obj.Settings !== null) {
    if (!isObject(obj.Settings)) problems.push('Settings must be an object such as {"MigrateHiddenItems": false}')
    else {
      const r = parseSettingsRecord(obj.Settings, 'Settings')
      if (!r.ok) problems.push(r.error)
      else {
        settings = obj.Settings
        warnings.push(...r.warnings.map((w) => `${where}: ${w}`))
      }
    }
  }
  if (problems.length) return { problems, warnings: [] }
  const r = validateTaskInput({ source: source!, dest: dest!, library, folder, name, group, settings, tags: obj.Tags, startAt })
  if (!r.ok) return { problems: [formatFieldErrors(r.errors)], warnings: [] }
  return { problems: [], draft: r.spec, warnings }
}

export function* parseJsonImport(fileName: string, text: string): Steps<ImportResult> {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err)
    return { ok: false, errors: [`${fileName}: not valid JSON (${msg}); the file must look like ${SHAPE}`] }
  }
  let tasks: unknown
  if (isObject(doc)) {
    const key = Object.keys(doc).find((k) => k.toLowerCase() === 'tasks')
    tasks = key === undefined ? undefined : doc[key]
    const others = Object.keys(doc).filter((k) => k !== key)
    if (others.length) return { ok: false, errors: [`${fileName}: unknown top-level key ${JSON.stringify(others[0])}; the file must look like ${SHAPE}`] }
  }
  if (!Array.isArray(tasks)) return { ok: false, errors: [`${fileName}: expected an object with a "Tasks" array; the file must look like ${SHAPE}`] }
  if (tasks.length === 0) return { ok: false, errors: [`${fileName}: "Tasks" is empty; add at least one task`] }
  if (tasks.length > MAX_IMPORT_TASKS) return { ok: false, errors: [tooManyTasks(fileName, tasks.length)] }

  const errors: string[] = []
  const warnings: string[] = []
  const out: TaskDraft[] = []
  const dups = new DuplicateFinder()
  yield* eachInSteps(tasks as unknown[], (raw, i) => {
    const where = `${fileName}:Tasks[${i}]`
    const { problems, draft, warnings: w } = readTask(raw, where)
    if (problems.length) {
      errors.push(`${where}: ${problems.join('; ')}`)
      return
    }
    const first = dups.check(draft!, `Tasks[${i}]`)
    if (first !== null) {
      errors.push(`${where}: A duplicate task has already been created: same source and destination as ${first}; remove one of the two`)
      return
    }
    warnings.push(...w)
    out.push(draft!)
  })
  return errors.length ? { ok: false, errors } : { ok: true, tasks: out, warnings }
}
