/**
 * The commands and flags the mmesh program really has, read the way a user reads them: by running
 * `mmesh [command…] --help` (the real bin/mmesh.js) for every command, walking down the "Commands:" lists.
 */
import { execa } from 'execa'
import pLimit from 'p-limit'
import { MMESH, REPO } from '../fixtures/fleet.ts'

/** A few at a time: the machine has two cores and other tests run beside this one. */
const limit = pLimit(3)

export interface HelpFlag {
  /** `--data` */
  long: string
  /** the option's term as help prints it: `--data <dir>` */
  term: string
  description: string
}

export interface CommandNode {
  /** words after `mmesh`: [] for the program, ['task', 'add'] for `mmesh task add` */
  path: string[]
  description: string
  flags: HelpFlag[]
  /** positional arguments, as help names them (`<file>`, `[agent]`) */
  args: string[]
  subcommands: CommandNode[]
  /** the help text itself, for messages */
  help: string
}

export const commandName = (path: string[]) => ['mmesh', ...path].join(' ')

/** Entries of one section ("Options", "Commands", "Arguments"): a term and its (possibly wrapped) description. */
function sectionEntries(help: string, title: string): { term: string; description: string }[] {
  const lines = help.split('\n')
  const start = lines.findIndex((l) => l === `${title}:`)
  if (start < 0) return []
  const entries: { term: string; description: string }[] = []
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || !line.startsWith(' ')) break
    const entry = /^ {2}(\S.*?)(?: {2,}(.*))?$/.exec(line)
    if (entry) entries.push({ term: entry[1]!.trim(), description: (entry[2] ?? '').trim() })
    else if (entries.length > 0) entries[entries.length - 1]!.description += ` ${line.trim()}`
  }
  return entries
}

export function parseHelp(path: string[], help: string): Omit<CommandNode, 'subcommands'> & { subcommandNames: string[] } {
  const description = help.split('\n\n')[1]?.replace(/\s+/g, ' ').trim() ?? ''
  const flags: HelpFlag[] = []
  for (const { term, description: d } of sectionEntries(help, 'Options')) {
    for (const long of term.match(/--[a-z0-9][a-z0-9-]*/g) ?? []) {
      if (long !== '--help') flags.push({ long, term, description: d })
    }
  }
  const args = sectionEntries(help, 'Arguments').map((e) => e.term)
  const subcommandNames = sectionEntries(help, 'Commands')
    .map((e) => e.term.split(/\s/)[0]!.split('|')[0]!)
    .filter((name) => name !== 'help')
  return { path, description, flags, args, help, subcommandNames }
}

async function helpOf(path: string[]): Promise<string> {
  const r = await limit(() => execa(process.execPath, [MMESH, ...path, '--help'], {
    cwd: REPO,
    reject: false,
    timeout: 60_000,
    stdin: 'ignore',
    env: { NO_COLOR: '1' },
  }))
  if (r.exitCode !== 0) throw new Error(`${commandName(path)} --help exited ${r.exitCode}: ${r.stderr}`)
  return String(r.stdout)
}

/** The whole command tree, one `--help` per command. */
export async function readCommandTree(path: string[] = []): Promise<CommandNode> {
  const parsed = parseHelp(path, await helpOf(path))
  const subcommands = await Promise.all(parsed.subcommandNames.map((name) => readCommandTree([...path, name])))
  const { subcommandNames: _, ...node } = parsed
  return { ...node, subcommands }
}

export function allCommands(root: CommandNode): CommandNode[] {
  return [root, ...root.subcommands.flatMap(allCommands)]
}
