/**
 * The docs' links stay inside the repository and lead somewhere: every relative link names a file (or
 * folder) of the repository that exists, and an `#anchor` names a heading of its target. The README links
 * only into the repository (what a user installs from a tarball has no `../shared`).
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readMarkdown } from './markdown.ts'

const REPO = path.resolve(import.meta.dirname, '../..')
const SCHEME = /^[a-z][a-z0-9+.-]*:/i

function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    fs.existsSync(path.join(REPO, dir))
      ? fs.readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith('.md') ? [`${dir}/${e.name}`] : []))
      : []
  return [...fs.readdirSync(REPO).filter((f) => f.endsWith('.md')), ...walk('docs')].sort()
}

function anchorsOf(file: string): Set<string> {
  return new Set(readMarkdown(REPO, file).headings.map((h) => h.anchor))
}

/** What is wrong with one link of `file`, or null. */
function linkProblem(file: string, target: string): string | null {
  if (SCHEME.test(target)) {
    return file === 'README.md' ? `${target} leaves the repository: link a file of the repository (docs/…) instead` : null
  }
  const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined]
  const linkPath = decodeURI(rawPath.split('?')[0]!)
  if (linkPath.startsWith('/')) return `${target}: an absolute path; write it relative to ${file}`
  const resolved = path.normalize(path.join(path.dirname(file), linkPath))
  if (resolved === '..' || resolved.startsWith(`..${path.sep}`)) return `${target} points outside the repository (${resolved})`
  if (linkPath !== '' && !fs.existsSync(path.join(REPO, resolved))) return `${target}: ${resolved} does not exist`
  const targetFile = linkPath === '' ? file : resolved
  if (anchor !== undefined && targetFile.endsWith('.md') && !anchorsOf(targetFile).has(anchor)) {
    return `${target}: ${targetFile} has no heading with the anchor #${anchor}`
  }
  return null
}

describe('links in the docs', () => {
  const files = markdownFiles()

  it('finds the docs', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'ARCHITECTURE.md', 'docs/cli.md']))
  })

  it('the check finds what is wrong', () => {
    expect(linkProblem('README.md', '../shared/CONTRACT.md')).toMatch(/outside the repository/)
    expect(linkProblem('README.md', 'https://example.com/')).toMatch(/leaves the repository/)
    expect(linkProblem('docs/cli.md', '../ARCHITECTURE.md')).toBeNull()
    expect(linkProblem('docs/cli.md', '../NOPE.md')).toMatch(/does not exist/)
    expect(linkProblem('docs/cli.md', '#exit-codes')).toBeNull()
    expect(linkProblem('docs/cli.md', '#no-such-heading')).toMatch(/no heading/)
  })

  it.each(files)('%s: every relative link resolves inside the repository', (file) => {
    const problems = readMarkdown(REPO, file).links.flatMap(({ line, target }) => {
      const p = linkProblem(file, target)
      return p ? [`${file}:${line}: ${p}`] : []
    })
    expect(problems).toEqual([])
  })
})
