/**
 * `mmesh task …` and `mmesh settings …`: thin clients of the agent running on --data DIR. They read
 * local files (imports) themselves, so a missing or unreadable file is reported before anything is sent.
 */
import type { Command } from 'commander'
import { callAgent } from '../api/client.ts'
import { resolveDataDir } from '../api/data-dir.ts'
import type { TaskSettingFlags } from '../protocol/task-input.ts'
import { terminalSafe } from '../protocol/terminal-text.ts'
import { formatTaskTable, formatTaskDetail, formatSettings } from './task-format.ts'
import { out, warn } from './output.ts'

interface DataOpt {
  data?: string
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
      .option('--group <name>', 'agent group that runs it (default Default)'),
  ).action(async (opts: DataOpt & TaskSettingFlags & { source: string; dest: string; library?: string; folder?: string; name?: string; group?: string }) => {
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
    .description('every task of the fleet')
    .option('--data <dir>', 'data dir of the agent to talk to')
    .option('--json', 'print JSON')
    .action(async (opts: DataOpt & { json?: boolean }) => {
      const tasks = await callAgent(dataDir(opts), 'task.list', {}, { timeoutMs: 60_000 })
      out(opts.json ? JSON.stringify(tasks, null, 2) : formatTaskTable(tasks))
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
