/**
 * Tests that need a program from the system's packages (chromium, setfattr, tmux, ip, setpriv, mount, strace).
 * Node and git are all a fresh clone may have: there such a test is skipped, and says which program is
 * missing, what it is for and which package installs it. `.ci/run` installs every one and sets
 * MMESH_CI_REQUIRE_TOOLS=1, under which a missing program is a failing test instead of a skip.
 *
 *   const chromium = needTool('chromium', 'renders report.html')
 *   describe.skipIf(chromium.skip)('report.html in Chromium', () => { ... chromium.path ... })
 *
 * Call it at a test file's top level (it may register a test: the failure under MMESH_CI_REQUIRE_TOOLS).
 */
import fs from 'node:fs'
import path from 'node:path'
import { it } from 'vitest'

/** The Debian package that provides each program the tests use (the apt-get line in `.ci/run`). */
const DEBIAN_PACKAGE: Record<string, string> = {
  chromium: 'chromium',
  setfattr: 'attr',
  getfattr: 'attr',
  getfacl: 'acl',
  setfacl: 'acl',
  tmux: 'tmux',
  ip: 'iproute2',
  rsync: 'rsync',
  setpriv: 'util-linux',
  mount: 'mount',
  umount: 'mount',
  script: 'bsdutils',
  strace: 'strace',
}

export const REQUIRE_TOOLS_ENV = 'MMESH_CI_REQUIRE_TOOLS'

export interface SystemTool {
  /** the program's name, as the test runs it */
  readonly name: string
  /** where it was found, or null */
  readonly path: string | null
  /** true when the test must be skipped: the program is missing (under MMESH_CI_REQUIRE_TOOLS a test fails too) */
  readonly skip: boolean
  /** why it is missing, with the package that installs it; '' when present */
  readonly reason: string
}

/** Looks `name` up on PATH, where the tests' own calls (`execFileSync('ip', …)`) will look. */
export function findProgram(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const p = path.join(dir, name)
    try {
      fs.accessSync(p, fs.constants.X_OK)
      if (fs.statSync(p).isFile()) return p
    } catch {
      // not here
    }
  }
  return null
}

/**
 * The program `name`, which this test needs for `why`. Missing: `skip` is true and a line says so; under
 * MMESH_CI_REQUIRE_TOOLS=1 a test named after the program fails as well, so CI cannot pass without it.
 */
export function needTool(name: string, why: string, debianPackage = DEBIAN_PACKAGE[name] ?? name): SystemTool {
  const found = findProgram(name)
  if (found) return { name, path: found, skip: false, reason: '' }
  const reason = `\`${name}\` (${why}) is not installed: apt-get install -y ${debianPackage}`
  if (process.env[REQUIRE_TOOLS_ENV] === '1') {
    it(`needs the system program ${name} (${why})`, () => {
      throw new Error(`${reason}. ${REQUIRE_TOOLS_ENV}=1 (set by .ci/run) makes a missing program a failure, not a skip`)
    })
  } else {
    console.warn(`skipped: ${reason}`)
  }
  return { name, path: null, skip: true, reason }
}

/** Several programs at once: skip if any is missing (each missing one is reported as `needTool` does). */
export function needTools(names: readonly string[], why: string): SystemTool {
  const tools = names.map((n) => needTool(n, why))
  const missing = tools.filter((t) => t.skip)
  return { name: names.join(', '), path: missing.length === 0 ? tools[0]!.path : null, skip: missing.length > 0, reason: missing.map((t) => t.reason).join('; ') }
}
