/**
 * Just enough Markdown for the doc tests: headings with their sections, code (fenced lines and inline
 * spans), links, and GitHub's heading anchors.
 */
import fs from 'node:fs'
import path from 'node:path'

export interface Heading {
  line: number
  level: number
  text: string
  /** GitHub's anchor for it (`#mmesh-task-add`) without the `#` */
  anchor: string
  /** the section's own lines (up to the next heading of any level), with their line numbers */
  body: { line: number; text: string }[]
}

export interface CodeSnippet {
  line: number
  text: string
}

export interface Link {
  line: number
  target: string
}

export interface MarkdownDoc {
  file: string
  lines: string[]
  /** per line: inside a fenced code block (the fences included) */
  fenced: boolean[]
  headings: Heading[]
  code: CodeSnippet[]
  links: Link[]
}

const FENCE = /^\s*(```|~~~)/

/** GitHub's slug: lower case, punctuation dropped (letters, digits, spaces, `-` and `_` stay), spaces to `-`. */
export function githubSlug(text: string): string {
  return text
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-')
}

/** Inline code spans of one line. */
export function inlineCode(line: string): string[] {
  return [...line.matchAll(/(`+)(.+?)\1/g)].map((m) => m[2]!.trim())
}

function withoutInlineCode(line: string): string {
  return line.replace(/(`+)(.+?)\1/g, '')
}

export function readMarkdown(root: string, file: string): MarkdownDoc {
  const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n')
  const fenced: boolean[] = []
  let open = false
  for (const line of lines) {
    if (FENCE.test(line)) {
      fenced.push(true)
      open = !open
    } else fenced.push(open)
  }
  const headings: Heading[] = []
  const code: CodeSnippet[] = []
  const links: Link[] = []
  const seen = new Map<string, number>()
  lines.forEach((text, i) => {
    const line = i + 1
    if (fenced[i]) {
      if (!FENCE.test(text)) code.push({ line, text })
      return
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(text)
    if (h) {
      const base = githubSlug(h[2]!)
      const n = seen.get(base) ?? 0
      seen.set(base, n + 1)
      headings.push({ line, level: h[1]!.length, text: h[2]!, anchor: n === 0 ? base : `${base}-${n}`, body: [] })
    } else if (headings.length > 0) {
      headings[headings.length - 1]!.body.push({ line, text })
    }
    const prose = withoutInlineCode(text)
    for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line, target: m[1]!.replace(/^<|>$/g, '') })
    }
    const def = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(prose)
    if (def) links.push({ line, target: def[1]!.replace(/^<|>$/g, '') })
  })
  code.push(...paragraphCode(lines, fenced))
  code.sort((a, b) => a.line - b.line)
  return { file, lines, fenced, headings, code, links }
}

/** Inline code spans, found per paragraph since a span may run over a line break. */
function paragraphCode(lines: string[], fenced: boolean[]): CodeSnippet[] {
  const out: CodeSnippet[] = []
  let start = 0
  const flush = (end: number) => {
    const text = lines.slice(start, end).join('\n')
    for (const m of text.matchAll(/(`+)([\s\S]+?)\1/g)) {
      const line = start + 1 + (text.slice(0, m.index).match(/\n/g)?.length ?? 0)
      out.push({ line, text: m[2]!.replace(/\s*\n\s*/g, ' ').trim() })
    }
  }
  for (let i = 0; i <= lines.length; i++) {
    const breaks = i === lines.length || fenced[i] || lines[i]!.trim() === '' || /^\s*(#{1,6}\s|\|)/.test(lines[i]!)
    if (!breaks) continue
    flush(i)
    // a heading or a table row is a paragraph of its own
    if (i < lines.length && !fenced[i] && /^\s*(#{1,6}\s|\|)/.test(lines[i]!)) {
      start = i
      flush(i + 1)
    }
    start = i + 1
  }
  return out
}
