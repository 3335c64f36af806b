/**
 * vitest global setup. Tests run the real CLI and agents through bin/mmesh.js, which runs the build in
 * dist/, so a test run first rebuilds dist/ if any source changed since the last build (a no-op otherwise):
 * `npx vitest run one.test.ts` then tests the sources as they are, as `npm test` does.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'

const REPO = path.resolve(import.meta.dirname, '../..')

export default function buildDistIfStale(): void {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin/build.js'), '--if-stale'], { cwd: REPO, stdio: 'inherit', timeout: 180_000 })
  if (r.status !== 0) throw new Error(`bin/build.js --if-stale failed (${r.error?.message ?? `exit ${r.status}`}): the tests would run an old dist/`)
}
