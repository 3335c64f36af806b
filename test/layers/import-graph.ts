/**
 * The repository's import graph, read with the TypeScript parser (no type checking, so it takes a second):
 * every static import and re-export, every `import()`, every `import('x').T` type and every
 * `new URL('./x.js', import.meta.url)` (how workers and child processes are started) of every source file
 * under the given folders. Used by imports.test.ts to hold the layers to their direction and to find cycles.
 */
import fs from 'node:fs'
import path from 'node:path'
import { builtinModules } from 'node:module'
import ts from 'typescript'

export type EdgeKind = 'static' | 'dynamic' | 'type' | 'url'

export interface ImportEdge {
  /** importing file, relative to the repository root, with forward slashes */
  from: string
  /** 1-based line of the import in `from` */
  line: number
  /** the module specifier as written */
  specifier: string
  /** the imported file, relative to the root, for a relative specifier; null for a package or builtin */
  target: string | null
  kind: EdgeKind
}

export interface ImportGraph {
  root: string
  files: string[]
  edges: ImportEdge[]
}

const SOURCE = /\.(ts|tsx|js|mjs)$/
const RESOLVE_TRIES = ['', '.ts', '.tsx', '.js', '/index.ts', '/index.tsx', '/index.js']
const BUILTINS = new Set(builtinModules.map((m) => m.replace(/^node:/, '')))

export const posix = (p: string) => p.split(path.sep).join('/')

export function isTestFile(file: string): boolean {
  return /\.test\.tsx?$/.test(file)
}

/** `fs/promises` for `node:fs/promises` or `fs/promises`; null when the specifier is not a Node builtin. */
export function builtinName(specifier: string): string | null {
  const bare = specifier.replace(/^node:/, '')
  return specifier.startsWith('node:') || BUILTINS.has(bare) || BUILTINS.has(bare.split('/')[0]!) ? bare : null
}

/** The npm package a bare specifier names: `@libp2p/tcp` for `@libp2p/tcp/foo`, `level` for `level`. */
export function packageName(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || builtinName(specifier)) return null
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
}

function listSources(root: string, dir: string, out: string[]): void {
  const abs = path.join(root, dir)
  if (!fs.existsSync(abs)) return
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
    const rel = posix(path.join(dir, entry.name))
    if (entry.isDirectory()) listSources(root, rel, out)
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel)
  }
}

function resolveRelative(root: string, from: string, specifier: string): string {
  const base = path.join(root, path.dirname(from), specifier)
  for (const tail of RESOLVE_TRIES) {
    const candidate = base + tail
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return posix(path.relative(root, candidate))
  }
  // Unresolved (typecheck reports it): keep the written path so the layer rules still see where it points.
  return posix(path.relative(root, base))
}

/** An import or re-export that brings in types only is erased at run time. */
function typeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause
  if (!clause) return false
  if (clause.isTypeOnly) return true
  if (clause.name) return false
  const bindings = clause.namedBindings
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly)
}

function typeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true
  const clause = node.exportClause
  return !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly)
}

function isImportMetaUrl(node: ts.Node): boolean {
  return (
    ts.isPropertyAccessExpression(node) &&
    node.name.text === 'url' &&
    ts.isMetaProperty(node.expression) &&
    node.expression.keywordToken === ts.SyntaxKind.ImportKeyword
  )
}

export function importsOf(root: string, file: string): ImportEdge[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8')
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind)
  const edges: ImportEdge[] = []
  const add = (literal: ts.Node, specifier: string, edgeKind: EdgeKind) => {
    const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1
    const target = specifier.startsWith('.') ? resolveRelative(root, file, specifier) : null
    edges.push({ from: file, line, specifier, target, kind: edgeKind })
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier, node.moduleSpecifier.text, typeOnlyImport(node) ? 'type' : 'static')
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier, node.moduleSpecifier.text, typeOnlyExport(node) ? 'type' : 'static')
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal, node.argument.literal.text, 'type')
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0]!)) {
      const arg = node.arguments[0] as ts.StringLiteralLike
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) add(arg, arg.text, 'dynamic')
      else if (ts.isIdentifier(node.expression) && node.expression.text === 'require') add(arg, arg.text, 'static')
    } else if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'URL' &&
      node.arguments?.length === 2 &&
      ts.isStringLiteralLike(node.arguments[0]!) &&
      isImportMetaUrl(node.arguments[1]!) &&
      (node.arguments[0] as ts.StringLiteralLike).text.startsWith('.')
    ) {
      const arg = node.arguments[0] as ts.StringLiteralLike
      add(arg, arg.text, 'url')
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return edges
}

export function readImportGraph(root: string, folders: string[]): ImportGraph {
  const files: string[] = []
  for (const f of folders) listSources(root, f, files)
  files.sort()
  return { root, files, edges: files.flatMap((f) => importsOf(root, f)) }
}

export interface Cycle {
  /** the files that import each other, round about (a strongly connected component), sorted */
  members: string[]
  /** a shortest loop through the first member: the imports to follow, in order */
  loop: ImportEdge[]
}

/** Import cycles among the files, one per strongly connected component (Tarjan). */
export function findCycles(graph: ImportGraph, follows: (e: ImportEdge) => boolean): Cycle[] {
  const out = new Map<string, ImportEdge[]>()
  for (const e of graph.edges) {
    if (e.target === null || !follows(e)) continue
    const list = out.get(e.from) ?? []
    list.push(e)
    out.set(e.from, list)
  }
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const components: string[][] = []
  let next = 0
  // Iterative Tarjan: the graph has hundreds of files, deep enough to worry a recursive walk.
  for (const start of graph.files) {
    if (index.has(start)) continue
    const work: { node: string; edge: number }[] = [{ node: start, edge: 0 }]
    index.set(start, next)
    low.set(start, next++)
    stack.push(start)
    onStack.add(start)
    while (work.length > 0) {
      const frame = work[work.length - 1]!
      const edges = out.get(frame.node) ?? []
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++]!.target!
        if (!index.has(to)) {
          index.set(to, next)
          low.set(to, next++)
          stack.push(to)
          onStack.add(to)
          work.push({ node: to, edge: 0 })
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!))
        }
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!))
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = []
        let member: string
        do {
          member = stack.pop()!
          onStack.delete(member)
          component.push(member)
        } while (member !== frame.node)
        const selfLoop = (out.get(frame.node) ?? []).some((e) => e.target === frame.node)
        if (component.length > 1 || selfLoop) components.push(component.sort())
      }
    }
  }
  return components.map((members) => ({ members, loop: shortestLoop(members, out) }))
}

function shortestLoop(component: string[], out: Map<string, ImportEdge[]>): ImportEdge[] {
  const members = new Set(component)
  const start = component[0]!
  const via = new Map<string, ImportEdge>()
  const queue = [start]
  for (let i = 0; i < queue.length; i++) {
    for (const e of out.get(queue[i]!) ?? []) {
      const to = e.target!
      if (!members.has(to) || via.has(to)) continue
      via.set(to, e)
      if (to === start) {
        const loop: ImportEdge[] = []
        for (let at = start; ; ) {
          const edge = via.get(at)!
          loop.unshift(edge)
          at = edge.from
          if (at === start) return loop
        }
      }
      queue.push(to)
    }
  }
  return []
}
