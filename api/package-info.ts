/**
 * The installed package's folder and version, for `--version`, the agent's announced version and the demo
 * that starts agents with `bin/mmesh.js`. Found by walking up from this module to the package.json that
 * names mmesh, so the answer is the same from the sources (`api/`) and from the build (`dist/api/`).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const PACKAGE_NAME = 'migration-mesh'

interface PackageInfo {
  root: string
  version: string
}

let found: PackageInfo | undefined

function findPackage(): PackageInfo {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === PACKAGE_NAME) return { root: dir, version: pkg.version ?? '0.0.0' }
    } catch {
      // no package.json here (or not one we can read): keep walking up
    }
    const up = path.dirname(dir)
    if (up === dir) return { root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), version: '0.0.0' }
    dir = up
  }
}

/** The folder holding mmesh's package.json (the clone, or the installed package). */
export function packageRoot(): string {
  found ??= findPackage()
  return found.root
}

/** mmesh's version from its package.json; '0.0.0' if that cannot be read. */
export function packageVersion(): string {
  found ??= findPackage()
  return found.version
}
