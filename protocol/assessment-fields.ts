/**
 * A scan's figures as lines for a terminal. Apart from assessment.ts (which holds the record's zod schema)
 * so that `task show` and the fleet view do not load zod to print them (test/cli/start-up.test.ts).
 */
import type { Assessment } from './assessment.ts'
import { MAX_PATH_CHARS } from './classify.ts'

/**
 * The figures as labelled lines, Migration Manager's Scans names, for `task show` and the fleet view's task
 * detail (each side makes them terminal-safe and lays them out). `bytes` formats a size the side's way.
 */
export function assessmentFields(a: Assessment, bytes: (n: number) => string): [label: string, value: string][] {
  const unknown = (v: string | number | null) => (v === null ? 'unknown' : String(v))
  const check = a.destinationCheck
  return [
    ['Migration readiness', a.readinessReason ? `${a.readiness} — ${a.readinessReason}` : a.readiness],
    ['Data size', `${bytes(a.dataSize)} (${a.dataSize} bytes)`],
    ['File count', String(a.files)],
    ['Folder count', String(a.folders)],
    ['Max path length', `${a.maxPathLength} of ${MAX_PATH_CHARS}${a.maxPath ? `: ${a.maxPath}` : ''}`],
    ['Root permissions', unknown(a.rootPermissions)],
    ['Last accessed', unknown(a.lastAccessed)],
    ['Created on', unknown(a.created)],
    ['Destination check', check === null ? 'not checked (a migration round opens the destination instead)' : check.ok ? `reachable and writable: ${check.message}` : `failed: ${check.message}`],
  ]
}
