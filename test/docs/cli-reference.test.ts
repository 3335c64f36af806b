/**
 * docs/cli.md is the command reference. This test runs `mmesh … --help` for every command the program
 * defines and holds the page to it: a section per command, a row per flag, and no command or flag the
 * program does not have — there, and in every `mmesh …` command line of the other docs. A failure says
 * exactly what to add or remove, so whoever adds a command or a flag learns here what the page needs.
 */
import fs from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { EXIT } from '../../api/errors.ts'
import { SETTING_KEYS } from '../../protocol/settings.ts'
import { REPO } from '../fixtures/fleet.ts'
import { allCommands, commandName, readCommandTree, type CommandNode } from './cli-help.ts'
import { inlineCode, readMarkdown, type Heading, type MarkdownDoc } from './markdown.ts'

const REFERENCE = 'docs/cli.md'
const COMMAND_SPAN = /^mmesh((?: [a-z][a-z0-9-]*)+)$/
const WORD = /^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$/
const FLAG = /^--[a-z0-9][a-z0-9-]*/
/** Where a command line in a code snippet starts: `mmesh`, `npx mmesh`, `bin/mmesh.js`. */
const PROGRAM = /(?<=^|[\s(])(?:[\w./-]*bin\/)?mmesh(?:\.js)?(?=\s)/g

let tree: CommandNode
let commands: CommandNode[]
let doc: MarkdownDoc

beforeAll(async () => {
  tree = await readCommandTree()
  commands = allCommands(tree).filter((c) => c.path.length > 0)
  doc = readMarkdown(REPO, REFERENCE)
}, 180_000)

/** The commands a heading is about: its code spans that read `mmesh WORD…`. */
function headingCommands(h: Heading): string[] {
  return inlineCode(h.text).flatMap((span) => (COMMAND_SPAN.test(span) ? [span] : []))
}

function sectionsOf(name: string): Heading[] {
  return doc.headings.filter((h) => headingCommands(h).includes(name))
}

/** `--flag`s in the first cell of the section's table rows: the flags the section documents. */
function tableFlags(h: Heading): { line: number; long: string }[] {
  return h.body.flatMap(({ line, text }) => {
    if (!text.trimStart().startsWith('|')) return []
    const first = text.split('|')[1] ?? ''
    return inlineCode(first).flatMap((span) => (FLAG.test(span) ? [{ line, long: span.match(FLAG)![0] }] : []))
  })
}

function byName(name: string): CommandNode | undefined {
  return commands.find((c) => commandName(c.path) === name)
}

function flagList(c: CommandNode): string {
  return c.flags.length > 0 ? c.flags.map((f) => f.long).join(', ') : 'no flags'
}

/**
 * Checks one command line written in a doc (`mmesh task add --source X …`): every word names a command
 * of the one before it (`a|b` for several), and every `--flag` after it is one of that command's.
 */
function checkCommandLine(root: CommandNode, text: string): string[] {
  const problems: string[] = []
  for (const m of text.matchAll(PROGRAM)) {
    const rest = text.slice(m.index + m[0].length).split(/\s#|\s\|\s|&&|;|\)|`/)[0]!
    const tokens = rest.trim().split(/\s+/).filter((t) => t !== '')
    let nodes = [root]
    let i = 0
    for (; i < tokens.length && WORD.test(tokens[i]!); i++) {
      const names = tokens[i]!.split('|')
      const next = nodes.flatMap((n) => names.map((name) => n.subcommands.find((s) => s.path.at(-1) === name)))
      if (next.every((n) => n !== undefined)) {
        nodes = next as CommandNode[]
        continue
      }
      const node = nodes[0]!
      // a word after a command that takes arguments is one of them
      if (node.args.length === 0) {
        const known = node.subcommands.map((s) => s.path.at(-1)).join(', ')
        problems.push(
          node.subcommands.length > 0
            ? `\`${commandName(node.path)} ${tokens[i]}\`: ${commandName(node.path)} has no command ${names.filter((n) => !node.subcommands.some((s) => s.path.at(-1) === n)).join(', ')} (it has: ${known})`
            : `\`${commandName(node.path)} ${tokens[i]}\`: ${commandName(node.path)} has no subcommands and takes no arguments`,
        )
      }
      break
    }
    for (const token of tokens.slice(i)) {
      const flag = token.replace(/^[[(]+/, '').match(FLAG)?.[0]
      if (!flag || flag === '--help') continue
      for (const node of nodes) {
        if (!node.flags.some((f) => f.long === flag)) problems.push(`\`${commandName(node.path)} ${flag}\`: ${commandName(node.path)} has no ${flag} (it has ${flagList(node)})`)
      }
    }
  }
  return problems
}

describe(`${REFERENCE}, checked against --help`, () => {
  it('the program was read', () => {
    // a broken --help walk would pass every check below vacuously
    expect(commands.map((c) => commandName(c.path))).toEqual(expect.arrayContaining(['mmesh start', 'mmesh task add', 'mmesh report']))
  })

  it('has a section for every command', () => {
    const missing = commands
      .filter((c) => sectionsOf(commandName(c.path)).length === 0)
      .map((c) => `no section for \`${commandName(c.path)}\` (${c.description}): add a heading "### \`${commandName(c.path)}\`" with what it does${c.flags.length > 0 ? ` and a flags table (| flag | meaning | default |) with a row for each of ${flagList(c)}` : ''}`)
    expect(missing).toEqual([])
  })

  it("documents every flag of every command in that command's flags table", () => {
    const missing: string[] = []
    for (const c of commands) {
      const sections = sectionsOf(commandName(c.path))
      if (sections.length === 0) continue // reported above
      const documented = new Set(sections.flatMap(tableFlags).map((f) => f.long))
      for (const f of c.flags) {
        if (!documented.has(f.long)) {
          missing.push(`\`${commandName(c.path)}\` (${REFERENCE}:${sections[0]!.line}) has no row for ${f.long}: add "| \`${f.term}\` | ${f.description || 'what it does'} | its default |" to its flags table`)
        }
      }
    }
    expect(missing).toEqual([])
  })

  it("names the program's own flags", () => {
    const text = doc.lines.join('\n')
    const missing = tree.flags
      .filter((f) => !new RegExp(`(?<![\\w-])${f.long}(?![\\w-])`).test(text))
      .map((f) => `\`mmesh ${f.term}\` (${f.description}) is not in ${REFERENCE}: say what it does under "## Conventions"`)
    expect(missing).toEqual([])
  })

  it('has no section for a command the program lacks', () => {
    const extra = doc.headings.flatMap((h) =>
      headingCommands(h)
        .filter((name) => !byName(name))
        .map((name) => `${REFERENCE}:${h.line}: a section for \`${name}\`, which the program does not have (\`mmesh --help\` lists: ${tree.subcommands.map((s) => s.path[0]).join(', ')}): remove it, or add the command`),
    )
    expect(extra).toEqual([])
  })

  it("documents no flag a command lacks in that command's flags table", () => {
    const extra: string[] = []
    for (const h of doc.headings) {
      for (const name of headingCommands(h)) {
        const c = byName(name)
        if (!c) continue // reported above
        for (const f of tableFlags(h)) {
          if (!c.flags.some((x) => x.long === f.long)) extra.push(`${REFERENCE}:${f.line}: a row for ${f.long} under \`${name}\`, which has no such flag (it has ${flagList(c)}): remove the row`)
        }
      }
    }
    expect(extra).toEqual([])
  })

  it('names no flag that no command has', () => {
    const known = new Set(['--help', ...allCommands(tree).flatMap((c) => c.flags.map((f) => f.long))])
    const unknown = doc.lines.flatMap((text, i) =>
      [...text.matchAll(/(?<![\w-])--[a-z0-9][a-z0-9-]*/g)].filter((m) => !known.has(m[0])).map((m) => `${REFERENCE}:${i + 1}: ${m[0]} is no flag of any command: remove it or correct it`),
    )
    expect(unknown).toEqual([])
  })

  it('lists exactly the exit codes of api/errors.ts', () => {
    const section = doc.headings.find((h) => /^exit codes$/i.test(h.text))
    expect(section, `${REFERENCE} needs an "## Exit codes" section`).toBeDefined()
    const listed = section!.body.flatMap(({ text }) => /^\|\s*(\d+)\s*\|/.exec(text)?.[1] ?? []).map(Number)
    expect(listed.sort((a, b) => a - b)).toEqual(Object.values(EXIT).sort((a, b) => a - b))
  })

  it('lists every setting key of protocol/settings.ts', () => {
    const section = doc.headings.find((h) => headingCommands(h).includes('mmesh settings'))!
    const rows = section.body.flatMap(({ text }) => (text.startsWith('|') ? inlineCode(text.split('|')[1] ?? '') : []))
    expect(SETTING_KEYS.filter((k) => !rows.includes(k)).map((k) => `the settings table of \`mmesh settings\` has no row for ${k}`)).toEqual([])
  })
})

describe('`mmesh …` command lines in the docs name real commands and flags', () => {
  it('the check finds what is wrong', () => {
    expect(checkCommandLine(tree, 'mmesh task add --source /srv/a --dest file:///tmp/x [--library NAME]')).toEqual([])
    expect(checkCommandLine(tree, 'mmesh agent enable vm-02 --data DIR')).toEqual([])
    expect(checkCommandLine(tree, 'mmesh task pause|resume --data DIR ID')).toEqual([])
    expect(checkCommandLine(tree, 'npx mmesh task frobnicate ID')).toEqual([expect.stringContaining('mmesh task has no command frobnicate')])
    expect(checkCommandLine(tree, 'mmesh start --data DIR --fleet-keys k')).toEqual([expect.stringContaining('mmesh start has no --fleet-keys')])
    expect(checkCommandLine(tree, 'node bin/mmesh.js bogus')).toEqual([expect.stringContaining('mmesh has no command bogus')])
  })

  const docs = [
    ...fs.readdirSync(REPO).filter((f) => f.endsWith('.md')),
    ...fs.readdirSync(`${REPO}/docs`).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  ].sort()

  it.each(docs)('%s', (file) => {
    const md = readMarkdown(REPO, file)
    const problems = md.code.flatMap(({ line, text }) => checkCommandLine(tree, text).map((p) => `${file}:${line}: ${p}`))
    expect(problems).toEqual([])
  })
})
