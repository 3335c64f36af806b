/**
 * A folder is a layer and imports point one way (ARCHITECTURE.md, "Layers"):
 *
 *   protocol/ ← api/ ← agent/        api/ ← cli/, tui/        cli/ → agent/ (start, local commands), tui/
 *
 * Checked on the import graph of the sources (import-graph.ts): every static import and re-export,
 * `import()`, `import('x').Type`, and `new URL('./x', import.meta.url)` (workers). Type-only imports
 * count: a layer that needs another's types depends on it. Test files (*.test.ts, *.test.tsx) are exempt
 * from the layer rules, not from cycles. Each failure lists the offending imports as FILE:LINE.
 */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { builtinName, findCycles, isTestFile, packageName, readImportGraph, type ImportEdge } from './import-graph.ts'

const REPO = path.resolve(import.meta.dirname, '../..')
const LAYERS = ['protocol', 'api', 'agent', 'cli', 'tui'] as const
type Layer = (typeof LAYERS)[number]
const graph = readImportGraph(REPO, [...LAYERS, 'test', 'bench', 'bin'])

const layerOf = (file: string) => file.split('/')[0]!
const isProduction = (file: string) => (LAYERS as readonly string[]).includes(layerOf(file)) && !isTestFile(file)

/** Packages only the agent may load: the network, the database, SharePoint's client and sign-in. */
const AGENT_ONLY_PACKAGES = /^(libp2p|@libp2p\/|@chainsafe\/|@multiformats\/|level$|classic-level$|abstract-level$|@pnp\/|@azure\/)/
/** The fleet view's packages. */
const VIEW_PACKAGES = /^(ink|ink-.*|react|react-.*)$/
/** Node modules that do I/O or read the process's surroundings: not in the pure rules. */
const IO_BUILTINS = new Set([
  'fs', 'fs/promises', 'net', 'tls', 'http', 'https', 'http2', 'dgram', 'dns', 'dns/promises', 'child_process', 'cluster',
  'worker_threads', 'os', 'process', 'readline', 'readline/promises', 'tty', 'timers', 'timers/promises', 'inspector', 'v8', 'vm', 'module',
])

interface Rule {
  layer: Layer
  says: string
  /** why the import breaks the rule, or null when it does not */
  breaks(e: ImportEdge): string | null
}

const target = (e: ImportEdge) => e.target ?? e.specifier
const intoLayer = (e: ImportEdge, ...layers: string[]) => e.target !== null && layers.includes(layerOf(e.target))

const RULES: Rule[] = [
  {
    layer: 'protocol',
    says: 'protocol/ is pure rules: it imports only protocol/, and no I/O module or agent/view package',
    breaks: (e) => {
      if (e.target !== null) return layerOf(e.target) === 'protocol' ? null : `imports ${e.target} (outside protocol/)`
      const builtin = builtinName(e.specifier)
      if (builtin !== null) return IO_BUILTINS.has(builtin) ? `imports node:${builtin} (I/O)` : null
      const pkg = packageName(e.specifier)!
      return AGENT_ONLY_PACKAGES.test(pkg) || VIEW_PACKAGES.test(pkg) || pkg === 'pino' ? `imports ${pkg}` : null
    },
  },
  {
    layer: 'api',
    says: 'api/ imports only protocol/ and api/, and none of the agent\'s or the view\'s packages (the CLI loads it for every command)',
    breaks: (e) => {
      if (e.target !== null) return intoLayer(e, 'protocol', 'api') ? null : `imports ${e.target}`
      const pkg = packageName(e.specifier)
      return pkg !== null && (AGENT_ONLY_PACKAGES.test(pkg) || VIEW_PACKAGES.test(pkg)) ? `imports ${pkg}` : null
    },
  },
  {
    layer: 'agent',
    says: 'agent/ never imports cli/, tui/, test/ or bench/ (test hooks come in through the composition root), nor the view\'s packages',
    breaks: (e) => {
      if (intoLayer(e, 'cli', 'tui', 'test', 'bench')) return `imports ${e.target}`
      const pkg = packageName(e.specifier)
      return pkg !== null && VIEW_PACKAGES.test(pkg) ? `imports ${pkg}` : null
    },
  },
  {
    layer: 'tui',
    says: 'tui/ talks to the agent only through api/: it never imports agent/ or cli/, nor libp2p, level, @pnp or @azure',
    breaks: (e) => {
      if (intoLayer(e, 'agent', 'cli', 'test', 'bench')) return `imports ${e.target}`
      const pkg = packageName(e.specifier)
      return pkg !== null && AGENT_ONLY_PACKAGES.test(pkg) ? `imports ${pkg}` : null
    },
  },
  {
    layer: 'cli',
    says: 'cli/ never imports test/ or bench/',
    breaks: (e) => (intoLayer(e, 'test', 'bench') ? `imports ${e.target}` : null),
  },
]

function describeEdge(e: ImportEdge): string {
  return `${e.from}:${e.line} ${e.kind === 'type' ? 'imports types from' : e.kind === 'url' ? 'loads' : 'imports'} '${e.specifier}'${e.target && e.target !== e.specifier ? ` (${e.target})` : ''}`
}

describe('layers', () => {
  it('the graph was read', () => {
    expect(graph.files).toEqual(expect.arrayContaining(['protocol/ledger.ts', 'api/errors.ts', 'cli/main.ts', 'tui/app.tsx']))
    expect(graph.edges.some((e) => e.from === 'cli/program.ts' && e.target === 'api/errors.ts')).toBe(true)
  })

  it.each(RULES.map((r) => [r.layer, r] as const))('%s/', (_, rule) => {
    const offending = graph.edges.flatMap((e) => {
      if (layerOf(e.from) !== rule.layer || isTestFile(e.from)) return []
      const why = rule.breaks(e)
      return why ? [`${describeEdge(e)}: ${why}`] : []
    })
    expect(offending, rule.says).toEqual([])
  })

  it('no production file imports test/ or bench/', () => {
    const offending = graph.edges
      .filter((e) => (isProduction(e.from) || layerOf(e.from) === 'bin') && intoLayer(e, 'test', 'bench'))
      .map(describeEdge)
    expect(offending, 'test-only code lives in test/support/ and reaches the agent only through test/support/test-agent.ts').toEqual([])
  })

  it("the CLI's entry loads nothing of agent/ or tui/, nor their packages, before a command runs", () => {
    // What `mmesh --help`, `task list` and `agents` load: the static imports reachable from the entry.
    // The agent (agent/, libp2p, level, @pnp) and the view (tui/, ink, react) come in by import() in the
    // commands that need them (`start`, `keygen`, `auth`, `tui`, `demo`).
    const entry = 'cli/main.ts'
    const via = new Map<string, ImportEdge | null>([[entry, null]])
    const queue = [entry]
    const offending: string[] = []
    for (let i = 0; i < queue.length; i++) {
      for (const e of graph.edges.filter((x) => x.from === queue[i] && x.kind === 'static')) {
        if (e.target !== null) {
          if (intoLayer(e, 'agent', 'tui')) {
            const chain: string[] = []
            for (let at = via.get(e.from); at; at = via.get(at.from)) chain.unshift(`${at.from}:${at.line}`)
            offending.push(`${[...chain, `${e.from}:${e.line}`].join(' → ')} imports ${e.target}`)
            continue
          }
          if (!via.has(e.target)) {
            via.set(e.target, e)
            queue.push(e.target)
          }
          continue
        }
        const pkg = packageName(e.specifier)
        if (pkg === null || !(AGENT_ONLY_PACKAGES.test(pkg) || VIEW_PACKAGES.test(pkg))) continue
        const chain: string[] = []
        for (let at = via.get(e.from); at; at = via.get(at.from)) chain.unshift(`${at.from}:${at.line}`)
        offending.push(`${[...chain, `${e.from}:${e.line}`].join(' → ')} imports ${pkg}`)
      }
    }
    expect(offending, `load these with import() inside the command that needs them`).toEqual([])
  })

  it('has no import cycles', () => {
    const cycles = findCycles(graph, (e) => e.kind !== 'url').map(({ members, loop }) => {
      const inside = graph.edges.filter((e) => e.kind !== 'url' && members.includes(e.from) && e.target !== null && members.includes(e.target))
      return `cycle ${loop.map((e) => e.from).join(' → ')} → ${loop[0]!.from} (all imports among ${members.join(', ')}: ${inside.map(describeEdge).join('; ')})`
    })
    expect(cycles, 'move what both sides need into a module of its own that imports neither').toEqual([])
  })
})

describe('the checks themselves', () => {
  const edge = (from: string, specifier: string, target: string | null, kind: ImportEdge['kind'] = 'static'): ImportEdge => ({ from, line: 1, specifier, target, kind })
  const rule = (layer: Layer) => RULES.find((r) => r.layer === layer)!

  it('see a layer import the wrong way', () => {
    expect(rule('protocol').breaks(edge('protocol/a.ts', 'node:fs', null))).toMatch(/I\/O/)
    expect(rule('protocol').breaks(edge('protocol/a.ts', '../api/errors.ts', 'api/errors.ts'))).toMatch(/outside protocol/)
    expect(rule('protocol').breaks(edge('protocol/a.ts', 'zod', null))).toBeNull()
    expect(rule('api').breaks(edge('api/a.ts', '../agent/x.ts', 'agent/x.ts'))).not.toBeNull()
    expect(rule('api').breaks(edge('api/a.ts', 'libp2p', null))).not.toBeNull()
    expect(rule('agent').breaks(edge('agent/a.ts', '../test/support/gate.ts', 'test/support/gate.ts'))).not.toBeNull()
    expect(rule('tui').breaks(edge('tui/a.ts', '../agent/view/fleet-feed.ts', 'agent/view/fleet-feed.ts', 'type'))).not.toBeNull()
    expect(rule('tui').breaks(edge('tui/a.ts', '@libp2p/tcp', null))).not.toBeNull()
    expect(rule('tui').breaks(edge('tui/a.ts', '../api/client.ts', 'api/client.ts'))).toBeNull()
  })

  it('find a cycle and name its imports', () => {
    const g = { root: '', files: ['a.ts', 'b.ts', 'c.ts'], edges: [edge('a.ts', './b.ts', 'b.ts'), edge('b.ts', './c.ts', 'c.ts'), edge('c.ts', './a.ts', 'a.ts', 'type')] }
    expect(findCycles(g, () => true).map((c) => [c.members, c.loop.map((e) => e.from)])).toEqual([[['a.ts', 'b.ts', 'c.ts'], ['a.ts', 'b.ts', 'c.ts']]])
    expect(findCycles(g, (e) => e.kind !== 'type')).toEqual([])
  })
})
