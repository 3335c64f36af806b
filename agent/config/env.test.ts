/**
 * The environment table (env.ts) is complete and is what README shows: every MMESH_* name in a production
 * file is in it, production reads process.env only where allowed, no production file names a test
 * variable, and README's "Environment variables" section is the table.
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ENV_VARS, envTableMarkdown, readAgentEnv, readCredentialOverrides } from './env.ts'

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..')
const PRODUCTION_DIRS = ['protocol', 'api', 'agent', 'cli', 'tui', 'bin']

/** Where production code may touch process.env, and why. */
const ENV_READERS: Record<string, string> = {
  'agent/config/env.ts': 'the table and its readers',
  'api/data-dir.ts': 'MMESH_DATA, shared by the agent and its clients (api must not import agent)',
  'bin/mmesh.js': "sets NODE_ENV for React's production build",
  'cli/demo.ts': "hands the demo's agents its environment",
}

function productionFiles(): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name)
      if (e.isDirectory()) walk(rel)
      else if (/\.(ts|tsx|js|mjs)$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && e.name !== 'test-kit.tsx') out.push(rel)
    }
  }
  for (const d of PRODUCTION_DIRS) walk(d)
  return out
}

describe('environment variables', () => {
  const files = productionFiles().map((f) => ({ f, text: fs.readFileSync(path.join(ROOT, f), 'utf8') }))

  it('every MMESH_* variable a production file names is in the table', () => {
    expect(files.length).toBeGreaterThan(50)
    const known = new Set(ENV_VARS.map((v) => v.name))
    const unknown = files.flatMap(({ f, text }) => [...text.matchAll(/\bMMESH_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => `${f}: ${m[0]}`).filter((s) => !known.has(s.split(': ')[1]!)))
    expect(unknown).toEqual([])
  })

  it('no production file names a test variable or reads process.env outside the allowed places', () => {
    expect(files.filter(({ text }) => text.includes('MMESH_TEST_')).map(({ f }) => f)).toEqual([])
    const readers = files.filter(({ text }) => /process\.env\b/.test(text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''))).map(({ f }) => f)
    expect(readers.filter((f) => !(f in ENV_READERS))).toEqual([])
  })

  it("README's section is the table", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const section = /^## Environment variables\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1] ?? ''
    expect(section, 'README.md has no "## Environment variables" section').not.toBe('')
    expect(section, 'README.md: paste envTableMarkdown() (agent/config/env.ts) into "Environment variables"').toContain(envTableMarkdown())
  })

  it('reads numbers and credentials, falling back to the defaults on nonsense', () => {
    expect(readAgentEnv({})).toEqual({ logLevel: 'info', heartbeatMs: 2000, antiEntropyMs: 3000, batchMs: 30, agentFileConcurrency: 32 })
    expect(readAgentEnv({ MMESH_HEARTBEAT_MS: '400', MMESH_TICK_MS: 'soon', MMESH_SETTLE_MS: '-5', MMESH_CHECKPOINT_MS: '1000', MMESH_LOG_LEVEL: 'warn' }))
      .toEqual({ logLevel: 'warn', heartbeatMs: 400, antiEntropyMs: 3000, batchMs: 30, agentFileConcurrency: 32, checkpointMs: 1000 })
    expect(readCredentialOverrides({ MMESH_TENANT_ID: 't', MMESH_CERT_FILE: '' })).toEqual({ tenantId: 't', clientId: undefined, certFile: undefined, authority: undefined })
  })
})
