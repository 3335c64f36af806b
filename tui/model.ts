/**
 * The fleet view's boundary: what it reads (FleetSource) and what it asks for (FleetActions).
 * tui/remote.ts implements both over the agent's control API; test/support/demo-fleet.ts holds an
 * in-memory pair for the component tests and the bench. Nothing here does I/O, so the UI can be rendered
 * against either.
 */
import type { FleetSnapshot } from '../protocol/views.ts'

export type { FleetSnapshot }

/**
 * A live view of the fleet. `getSnapshot` must return the same object until something changed (the UI
 * compares by identity, as useSyncExternalStore does); `subscribe` calls the listener after each change
 * and returns the unsubscribe function. The UI throttles its redraws itself, so a source may notify often.
 */
export interface FleetSource {
  getSnapshot(): FleetSnapshot
  subscribe(listener: () => void): () => void
}

/** What the add-task form sends: the same fields as `mmesh task add` (settings by key, as typed). */
export interface TaskInput {
  source: string
  dest: string
  library?: string
  folder?: string
  name?: string
  group?: string
  /** Setting keys (Migration Manager's names or the CLI aliases) to values as typed, or booleans. */
  settings?: Record<string, string | boolean>
}

export type TaskInputField = 'source' | 'dest' | 'library' | 'folder' | 'name' | 'group' | 'settings'

/** One sentence per field that is wrong; an empty object means the input is good. */
export type FieldErrors = Partial<Record<TaskInputField, string>>

export interface ImportRow {
  name: string
  source: string
  destination: { url: string; library: string | null; folder: string | null }
  group: string
}

/** What an import would add, or every bad record as "FILE:ROW: problem", before anything is added. */
export type ImportPreview = { ok: true; tasks: ImportRow[]; warnings: string[] } | { ok: false; errors: string[] }

export interface ExportResult {
  dir: string
  files: string[]
}

/**
 * The admin's intents. Promises reject with an Error whose message is one line fit to show as is
 * ("no agent running on DIR: start one with mmesh start --data DIR").
 */
export interface FleetActions {
  addTask(input: TaskInput): Promise<{ id: string }>
  /** Synchronous so the form can check as the admin types; the same rules as `mmesh task add`. */
  validateTask(input: TaskInput): FieldErrors
  previewImport(path: string): Promise<ImportPreview>
  /** All-or-nothing: resolves with the new ids, or rejects and adds nothing. */
  commitImport(path: string): Promise<string[]>
  pause(id: string): Promise<void>
  resume(id: string): Promise<void>
  rerun(id: string): Promise<void>
  cancel(id: string): Promise<void>
  /** `task archive` / `task unarchive` / `task delete` (refused while it runs: pause or cancel first) */
  archive(id: string): Promise<void>
  unarchive(id: string): Promise<void>
  deleteTask(id: string): Promise<void>
  /** Writes the reports (CONTRACT.md "Reports") under outDir and says which files it wrote. */
  exportReports(outDir: string): Promise<ExportResult>
  /**
   * `task edit` (name, group, start time, tags) of a task that is not running; rejects with the agent's
   * one-line reason and changes nothing. Resolves with the names of the fields changed.
   */
  editTask(id: string, edit: TaskEditFields): Promise<string[]>
  /** `agent set`: each field as typed, '' clears that override; rejects with the agent's reason. */
  setAgent(agent: string, fields: AgentSetFields): Promise<void>
  /** `agent forget` (refused while the agent is online, with the agent's message). */
  forgetAgent(agent: string): Promise<void>
  /** The latest failed items of a task's current round, as its agent knows them (`task show`); optional. */
  recentFailures?(id: string): Promise<{ item: string; message: string }[]>
}

/** What the edit form sends: only the fields that changed (`task edit`'s flags; startAt `now` drops Run later). */
export interface TaskEditFields {
  name?: string
  group?: string
  startAt?: string
  tags?: string[]
  clearTags?: boolean
}

/** What the agent override form sends, as typed; '' clears that override. */
export interface AgentSetFields {
  group: string
  capacity: string
  maxMbps: string
}

/** The views the app switches between. */
export type ViewName = 'fleet' | 'tasks' | 'detail' | 'add' | 'import' | 'export' | 'help' | 'edit' | 'agent'

/** Views Tab cycles through; the others are opened by their key and left with Esc. */
export const MAIN_VIEWS: readonly ViewName[] = ['fleet', 'tasks']
