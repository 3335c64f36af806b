#!/usr/bin/env node
// `npm run build`: compiles protocol/ api/ agent/ cli/ tui/ to dist/ with tsc (tsconfig.build.json).
//   node bin/build.js             build now
//   node bin/build.js --if-stale  build only if a source changed since the last build (vitest's global setup)
// tsc writes into a scratch folder first; its files then replace dist/'s one by one with rename(2), which
// is atomic per file, and files whose source is gone are removed last. So a process that starts
// bin/mmesh.js while a build runs (a test's agent, someone's `mmesh agents`) finds every file, old or
// new, never a missing or half-written one; a failed build leaves dist/ as it was.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DIST = path.join(ROOT, 'dist')
const SOURCES = ['protocol', 'api', 'agent', 'cli', 'tui']
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json']
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'mmesh-build')
const STAMP = path.join(CACHE, 'stamp.json')

/** Every source file the build compiles (tests beside the modules are left out, as tsconfig.build.json does). */
function sourceFiles() {
  const out = []
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (/\.(ts|tsx|js)$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) out.push(p)
    }
  }
  for (const s of SOURCES) walk(path.join(ROOT, s))
  return [...out, ...CONFIGS.map((c) => path.join(ROOT, c))].sort()
}

/** Stale when dist is missing, the set of sources differs, or one changed after the last build began. */
function isStale(files) {
  let stamp
  try {
    stamp = JSON.parse(fs.readFileSync(STAMP, 'utf8'))
  } catch {
    return true
  }
  if (!fs.existsSync(path.join(DIST, 'cli', 'main.js'))) return true
  const rel = files.map((f) => path.relative(ROOT, f))
  if (JSON.stringify(rel) !== JSON.stringify(stamp.files)) return true
  return files.some((f) => fs.statSync(f).mtimeMs >= stamp.startedAt)
}

function filesUnder(dir, base = dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) filesUnder(p, base, out)
    else out.push(path.relative(base, p))
  }
  return out
}

/** Moves the new build over dist/ file by file, then drops what the new build no longer has. */
function install(scratch) {
  const fresh = filesUnder(scratch)
  for (const rel of fresh) {
    const to = path.join(DIST, rel)
    fs.mkdirSync(path.dirname(to), { recursive: true })
    fs.renameSync(path.join(scratch, rel), to)
  }
  const keep = new Set(fresh)
  for (const rel of fs.existsSync(DIST) ? filesUnder(DIST) : []) if (!keep.has(rel)) fs.rmSync(path.join(DIST, rel), { force: true })
  // folders left empty by the removals
  const prune = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) prune(path.join(dir, e.name))
    if (dir !== DIST && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir)
  }
  prune(DIST)
}

const forTests = process.argv.includes('--if-stale')
const files = sourceFiles()
if (forTests && !isStale(files)) process.exit(0)

const startedAt = Date.now()
const scratch = path.join(CACHE, `out-${process.pid}`)
fs.rmSync(scratch, { recursive: true, force: true })
const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc')
const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', scratch], {
  cwd: ROOT,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
})
const typeErrors = (r.stdout.match(/error TS\d+/g) ?? []).length
// tsc exits 2 when it found type errors but wrote every file. `npm run build` fails then; a test run uses
// the output anyway, as running the sources through tsx would (`npm test` typechecks on its own).
const TSC_ERRORS_OUTPUT_WRITTEN = 2
if (r.status !== 0 && !(forTests && r.status === TSC_ERRORS_OUTPUT_WRITTEN)) {
  process.stdout.write(r.stdout)
  fs.rmSync(scratch, { recursive: true, force: true })
  console.error('build failed: dist/ is unchanged')
  process.exit(r.status ?? 1)
}
if (r.status !== 0) console.error(`build: ${typeErrors} type error(s), listed by \`npm run typecheck\`; dist/ is updated for this test run anyway`)
install(scratch)
fs.rmSync(scratch, { recursive: true, force: true })
fs.writeFileSync(STAMP, JSON.stringify({ startedAt, files: files.map((f) => path.relative(ROOT, f)) }))
