/**
 * `mmesh task …` and `mmesh settings …`: thin clients of the agent running on --data DIR. They read
 * local files (imports) themselves, so a missing or unreadable file is reported before anything is sent.
 */
import type { Command } from 'commander'
import { callAgent } from '../api/client.ts'
import { CliError, EXIT } from '../api/errors.ts'
import { resolveDataDir } from '../api/data-dir.ts'
import type { TaskSettingFlags } from '../protocol/task-input.ts'
import { terminalSafe } from '../protocol/terminal-text.ts'
import { formatTaskTable, formatTaskDetail, formatSettings } from './task-format.ts'
import { out, warn } from './output.ts'

interface DataOpt {
  data?: string
}

/** commander's collector for a repeatable option */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

function dataDir(opts: DataOpt): string {
  return resolveDataDir(opts.data)
}

function addSettingFlags(cmd: Command): Command {
  return cmd
    .option('--scan-only', 'scan and report only (ScanOnly)')
    .option('--no-hidden', 'leave hidden files and folders out (MigrateHiddenItems=false)')
    .option('--created-after <date>', 'only items created on or after DATE (MigrateItemsCreatedAfter)')
    .option('--modified-after <date>', 'only items modified on or after DATE (MigrateItemsModifiedAfter)')
    .option('--skip-ext <list>', 'skip files with these extensions, e.g. txt:mp3 (SkipFilesWithExtensions)')
    .option('--no-invalid-chars', 'skip items whose names SharePoint refuses instead of replacing the characters')
    .option('--preserve-permissions', "carry the source's explicit folder permissions (PreserveUserPermissionsForFileShare)")
    .option('--file-permissions', 'with --preserve-permissions, files get their own permissions too (FilePermissions)')
}

export function registerTaskCommands(program: Command): void {
  const task = program.command('task').description('create, watch and steer migration tasks')

  addSettingFlags(
    task
      .command('add')
      .description('add one task: a source share path to a SharePoint site (or a file:/// folder)')
      .option('--data <dir>', 'data dir of the agent to talk to')
      .requiredOption('--source <path>', 'UNC path (\\\\server\\share\\…) or absolute local path')
      .requiredOption('--dest <url>', 'https URL of a SharePoint site or OneDrive, or file:///DIR')
      .option('--library <name>', 'document library title (default Documents)')
      .option('--folder <path>', 'folder in the library')
      .option('--name <name>', 'task name (default: the last part of the source)')
      .option('--group <name>', 'agent group that runs it (default Default)')
      .option('--tag <tag>', 'a tag (repeatable)', collect, [])
      .option('--start-at <time>', 'Run later: no agent starts it before TIME (ISO 8601 with a zone, e.g. 2026-12-24T19:00:00Z)'),
  ).action(async (opts: DataOpt & TaskSettingFlags & { source: string; dest: string; library?: string; folder?: string; name?: string; group?: string; tag: string[]; startAt?: string }) => {
    // The flags' checks come with the settings' schemas: loaded by this command only.
    const { taskFlagsToSettings } = await import('../protocol/task-input.ts')
    const input = {
      source: opts.source,
      dest: opts.dest,
      library: opts.library ?? null,
      folder: opts.folder ?? null,
      name: opts.name ?? null,
      group: opts.group ?? null,
      settings: taskFlagsToSettings(opts),
      ...(opts.tag.length > 0 ? { tags: opts.tag } : {}),
      ...(opts.startAt !== undefined ? { startAt: opts.startAt } : {}),
    }
    const res = await callAgent(dataDir(opts), 'task.add', { input })
    for (const w of res.warnings) warn(w)
    out(res.id)
  })

  task
    .command('import')
    .description("add tasks in bulk from Migration Manager's CSV or JSON file (all or nothing)")
    .option('--data <dir>', 'data dir of the agent to talk to')
    .argument('<file>', 'the CSV (6 columns) or JSON ({"Tasks":[...]}) file')
    .action(async (file: string, opts: DataOpt) => {
      // Checked before it is read whole (size, kind): a file past the limit would otherwise be loaded into
      // memory and then cut off by the control endpoint's line limit, looking like a lost agent (exit 3).
      const { readImportFile } = await import('../api/import-file.ts')
      const { fileName, content } = await readImportFile(file)
      const res = await callAgent(dataDir(opts), 'task.import', { fileName, content: content.toString('base64') }, { timeoutMs: 120_000 })
      for (const w of res.warnings) warn(w)
      for (const id of res.ids) out(id)
    })

  task
    .command('list')
    .description('every task of the fleet, or those the filters match (all of them)')
    .option('--data <dir>', 'data dir of the agent to talk to')
    .option('--json', 'print JSON')
    .option('--status <status>', 'only tasks with this status (repeatable, or a comma list): queued, scanning, in-progress, paused, completed, failed, cancelled', collect, [])
    .option('--agent <agent>', 'only tasks of this agent (peer id or name; the current or last holder)')
    .option('--group <name>', 'only tasks of this agent group')
    .option('--search <text>', 'only tasks whose id, name, source or destination contains TEXT (any case)')
    .option('--tag <tag>', 'only tasks with this tag (exact; repeatable: all of them)', collect, [])
    .option('--archived', 'the archived tasks (left out otherwise)')
    .action(async (opts: DataOpt & { json?: boolean; status: string[]; agent?: string; group?: string; search?: string; tag: string[]; archived?: boolean }) => {
      const { filterTasks, filterProblem } = await import('../protocol/task-filter.ts')
      const filter = { status: opts.status.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean), agent: opts.agent, group: opts.group, search: opts.search, tag: opts.tag.length > 0 ? opts.tag : undefined, archived: opts.archived === true }
      const problem = filterProblem(filter)
      if (problem) throw new CliError(problem)
      const dir = dataDir(opts)
      const all = await callAgent(dir, 'task.list', {}, { timeoutMs: 60_000 })
      const names = opts.agent ? new Map((await callAgent(dir, 'agents.list')).map((a) => [a.id, a.name] as const)) : new Map<string, string>()
      const tasks = filterTasks(all, filter, names)
      out(opts.json ? JSON.stringify(tasks, null, 2) : formatTaskTable(tasks))
    })

  task
    .command('wait')
    .description('wait until the tasks have finished: exit 0 all completed, 1 any failed or cancelled, 124 on timeout')
    .option('--data <dir>', 'data dir of the agent to talk to')
    .option('--timeout <seconds>', 'give up after this many seconds (exit 124)')
    .option('--tag <tag>', 'wait for every task with this tag (as they are when the wait starts)')
    .argument('[ids...]', 'task ids (or unique prefixes)')
    .action(async (given: string[], opts: DataOpt & { timeout?: string; tag?: string }) => {
      const timeoutMs = opts.timeout === undefined ? null : Number(opts.timeout) * 1000
      if (timeoutMs !== null && !(Number.isFinite(timeoutMs) && timeoutMs >= 0)) throw new CliError(`--timeout ${JSON.stringify(opts.timeout)}: not a number of seconds; e.g. --timeout 3600`)
      if (given.length === 0 && opts.tag === undefined) throw new CliError('task wait: name the tasks (IDs) or a tag (--tag T)')
      const { waitForTasks } = await import('./task-wait.ts')
      const dir = dataDir(opts)
      const tagged = opts.tag === undefined ? [] : (await callAgent(dir, 'task.list', {}, { timeoutMs: 60_000 })).filter((t) => t.tags.includes(opts.tag!)).map((t) => t.id)
      if (opts.tag !== undefined && tagged.length === 0 && given.length === 0) throw new CliError(`task wait: no task has the tag ${JSON.stringify(opts.tag)} (tags match exactly, case too); see them with mmesh task tags export FILE`)
      const ids = [...new Set([...given, ...tagged])]
      const r = await waitForTasks(ids, {
        fetch: (want) => Promise.all(want.map((id) => callAgent(dir, 'task.show', { id }))),
        sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
        now: () => Date.now(),
      }, timeoutMs)
      for (const t of r.tasks) out(terminalSafe(`${t.id} ${t.status}`))
      if (r.timedOut) throw new CliError(`timed out after ${opts.timeout} s: ${r.tasks.filter((t) => !['completed', 'failed', 'cancelled'].includes(t.status)).length} of ${r.tasks.length} tasks not finished`, EXIT.timedOut)
      if (r.exitCode !== EXIT.ok) process.exitCode = r.exitCode
    })

  task
    .command('show')
    .description('one task in detail')
    .option('--data <dir>', 'data dir of the agent to talk to')
    .option('--json', 'print JSON')
    .argument('<id>', 'task id (or a unique prefix of it)')
    .action(async (id: string, opts: DataOpt & { json?: boolean }) => {
      const v = await callAgent(dataDir(opts), 'task.show', { id })
      out(opts.json ? JSON.stringify(v, null, 2) : formatTaskDetail(v))
    })

  for (const [verb, help] of [
    ['pause', 'pause a task: its agent stops and frees the slot'],
    ['resume', 'resume a paused task'],
    ['rerun', 'run a finished task again, incrementally (next round)'],
    ['cancel', 'cancel a task'],
  ] as const) {
    task
      .command(verb)
      .description(help)
      .option('--data <dir>', 'data dir of the agent to talk to')
      .argument('<id>', 'task id (or a unique prefix of it)')
      .action(async (id: string, opts: DataOpt) => {
        await callAgent(dataDir(opts), `task.${verb}` as const, { id })
        out(`${verb} requested for ${id}`)
      })
  }

  addSettingFlags(
    task
      .command('edit')
      .description('change the settings, name, group, start time or tags of a task that is not running (its next run uses them)')
      .option('--data <dir>', 'data dir of the agent to talk to')
      .argument('<id>', 'task id (or a unique prefix of it)')
      .option('--reset-settings', "drop the task's own settings (back to the global defaults), then apply the setting flags given")
      .option('--name <name>', 'new task name')
      .option('--group <name>', 'agent group that runs it')
      .option('--start-at <time>', 'Run later: not before TIME (ISO 8601 with a zone); now: at once')
      .option('--tag <tag>', "the task's tags: replaces them all (repeatable)", collect, [])
      .option('--no-tags', 'remove every tag'),
  ).action(async (id: string, opts: DataOpt & TaskSettingFlags & { resetSettings?: boolean; name?: string; group?: string; startAt?: string; tag: string[]; tags: boolean }) => {
    const { taskFlagsToSettings } = await import('../protocol/task-input.ts')
    const settings = taskFlagsToSettings(opts)
    const edit = {
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.group !== undefined ? { group: opts.group } : {}),
      ...(opts.startAt !== undefined ? { startAt: opts.startAt } : {}),
      ...(Object.keys(settings).length > 0 ? { settings } : {}),
      ...(opts.resetSettings ? { resetSettings: true } : {}),
      ...(opts.tag.length > 0 ? { tags: opts.tag } : {}),
      ...(opts.tags === false ? { clearTags: true } : {}),
    }
    const res = await callAgent(dataDir(opts), 'task.edit', { id, edit })
    for (const w of res.warnings) warn(w)
    out(`edited ${res.id}: ${res.changed.join(', ')}`)
  })

  task
    .command('migrate')
    .description('from scan-only tasks, migration tasks with the same source, destination, settings and tags; prints the new ids')
    .option('--data <dir>', 'data dir of the agent to talk to')
    .argument('<ids...>', 'ids (or unique prefixes) of scan-only tasks; all or none')
    .action(async (ids: string[], opts: DataOpt) => {
      const res = await callAgent(dataDir(opts), 'task.migrate', { ids })
      for (const id of res.ids) out(id)
    })

  const tags = task.command('tags').description("Migration Manager's tags CSV: Task ID, Source Name, Source Path, Tags (; between tags)")
  tags
    .command('export')
    .description("write every task's tags to a CSV file to edit")
    .option('--data <dir>', 'data dir of the agent to talk to')
    .argument('<file>', 'the CSV file to write')
    .action(async (file: string, opts: DataOpt) => {
      const rows = await callAgent(dataDir(opts), 'task.tagsExport', {}, { timeoutMs: 60_000 })
      const { tagsCsvRecords } = await import('../protocol/tags-csv.ts')
      const { stringify } = await import('csv-stringify/sync')
      const { writeFile } = await import('node:fs/promises')
      try {
        await writeFile(file, stringify(tagsCsvRecords(rows), { bom: true, record_delimiter: 'windows' }), { flag: 'w' })
      } catch (err) {
        throw new CliError(`cannot write ${file}: ${(err as Error).message}`)
      }
      out(`${rows.length} tasks written to ${terminalSafe(file)}`)
    })
  tags
    .command('import')
    .description("set tasks' tags from an edited tags CSV (only the Tags column is read; all or nothing)")
    .option('--data <dir>', 'data dir of the agent to talk to')
    .argument('<file>', 'the CSV file (as tags export wrote it)')
    .action(async (file: string, opts: DataOpt) => {
      const { readImportFile } = await import('../api/import-file.ts')
      const { fileName, content } = await readImportFile(file)
      const res = await callAgent(dataDir(opts), 'task.tagsImport', { fileName, content: content.toString('base64') }, { timeoutMs: 120_000 })
      out(`${res.updated} tasks' tags updated, ${res.unchanged} unchanged`)
    })

  for (const [verb, help] of [
    ['delete', 'delete tasks: gone from the list, the fleet view and reports, for good (not while running: pause or cancel first)'],
    ['archive', 'archive tasks: hidden from the list and the fleet view, kept in reports (not while running)'],
    ['unarchive', 'show archived tasks again'],
  ] as const) {
    task
      .command(verb)
      .description(help)
      .option('--data <dir>', 'data dir of the agent to talk to')
      .argument('<ids...>', 'task ids (or unique prefixes); all or none')
      .action(async (ids: string[], opts: DataOpt) => {
        const res = await callAgent(dataDir(opts), `task.${verb}` as const, { ids })
        for (const id of res.ids) out(`${verb}d ${id}`)
      })
  }

  const settings = program
    .command('settings')
    .description('global default settings of the fleet (Migration Manager names)')
    .option('--data <dir>', 'data dir of the agent to talk to')
    .option('--json', 'print JSON')
    .action(async (opts: DataOpt & { json?: boolean }) => {
      const s = await callAgent(dataDir(opts), 'settings.get')
      out(opts.json ? JSON.stringify(s, null, 2) : formatSettings(s))
    })
  settings
    .command('set')
    .description('set a global default, e.g. settings set SkipFilesWithExtensions tmp:bak')
    .option('--data <dir>', 'data dir of the agent to talk to')
    .argument('<key>', 'setting name')
    .argument('<value>', 'value')
    .action(async (key: string, value: string, opts: DataOpt, cmd: Command) => {
      const parentOpts = cmd.parent?.opts() as DataOpt | undefined
      const res = await callAgent(dataDir({ data: opts.data ?? parentOpts?.data }), 'settings.set', { key, value })
      // JSON.stringify leaves C1 controls and bidi overrides as they are: escaped for the terminal.
      out(terminalSafe(`${res.key} = ${JSON.stringify(res.value)}`))
    })
}
