/** Limits, result shape and duplicate detection shared by the CSV and JSON importers. */
import type { TaskDraft } from './task-input.ts'

export type ImportResult = { ok: true; tasks: TaskDraft[]; warnings: string[] } | { ok: false; errors: string[] }

export const MAX_IMPORT_BYTES = 50 * 1024 * 1024
/** Migration Manager's own limit per tenant. */
export const MAX_IMPORT_TASKS = 50_000

/** Identity of a task for duplicate detection: same source and destination, compared case-insensitively. */
export function duplicateKey(t: TaskDraft): string {
  return [t.source, t.destination.url, t.destination.library ?? '', t.destination.folder ?? '']
    .map((s) => s.normalize('NFC').toLowerCase())
    .join('\u0000')
}

/**
 * Remembers each task's identity and returns, for a repeat, where the first one was: Migration Manager
 * refuses such rows with "A duplicate task has already been created."
 */
export class DuplicateFinder {
  private readonly seen = new Map<string, string>()
  check(t: TaskDraft, where: string): string | null {
    const key = duplicateKey(t)
    const first = this.seen.get(key)
    if (first !== undefined) return first
    this.seen.set(key, where)
    return null
  }
}

export function tooManyTasks(fileName: string, count: number): string {
  return `${fileName}: the file holds ${count} tasks; import at most ${MAX_IMPORT_TASKS} at a time (split it into several files)`
}
