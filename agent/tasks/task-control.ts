/**
 * The control endpoint's task and settings methods, over the task service. Params arrive parsed by the
 * control API's schemas (api/methods.ts); the service judges what they mean.
 */
import { ControlError, EncodedJson, type ControlServer } from '../control/server.ts'
import { TaskServiceError, toJson, type TaskService } from './task-service.ts'
import type { TaskView } from '../../protocol/views.ts'

export interface TaskControlDeps {
  /** the latest failed items of the task's current round, when this agent holds them (items/recent-failures.ts) */
  recentFailures?: (view: TaskView) => Promise<TaskView['recentFailures'] | null>
}

/** Service refusals become one-line errors for the CLI (exit 1); anything else propagates as a failure. */
function refusal(err: unknown): unknown {
  return err instanceof TaskServiceError ? new ControlError(err.message) : err
}

function wrap<T>(fn: () => T): T {
  try {
    const result = fn()
    // an asynchronous method refuses through its promise
    return (result instanceof Promise ? result.catch((err: unknown) => Promise.reject(refusal(err))) : result) as T
  } catch (err) {
    throw refusal(err)
  }
}

const bytes = (base64: string) => Buffer.from(base64, 'base64')

export function registerTaskControl(control: ControlServer, tasks: TaskService, deps: TaskControlDeps = {}): void {
  control.handle('task.add', ({ input }) => wrap(() => tasks.add(input)))
  control.handle('task.import', (p) => wrap(() => tasks.import(p.fileName, bytes(p.content))))
  control.handle('task.importPreview', (p) => wrap(() => tasks.previewImport(p.fileName, bytes(p.content))))
  control.handle('task.list', async () => new EncodedJson(await tasks.listJson()))
  control.handle('task.tagsExport', () => tasks.tagsExport())
  control.handle('task.tagsImport', (p) => wrap(() => tasks.tagsImport(p.fileName, bytes(p.content))))
  control.handle('task.views', () => tasks.views())
  control.handle('task.show', async ({ id }) => {
    const view = wrap(() => tasks.show(id))
    const failures = deps.recentFailures ? await deps.recentFailures(view) : null
    return failures ? { ...view, recentFailures: failures } : view
  })
  control.handle('task.showJson', ({ id }) => wrap(() => toJson(tasks.show(id))))
  control.handle('task.pause', ({ id }) => wrap(() => tasks.pause(id)))
  control.handle('task.resume', ({ id }) => wrap(() => tasks.resume(id)))
  control.handle('task.rerun', ({ id }) => wrap(() => tasks.rerun(id)))
  control.handle('task.cancel', ({ id }) => wrap(() => tasks.cancel(id)))
  control.handle('task.edit', ({ id, edit }) => wrap(() => tasks.edit(id, edit)))
  control.handle('task.migrate', ({ ids }) => wrap(() => tasks.migrate(ids)))
  control.handle('task.delete', ({ ids }) => wrap(() => tasks.lifecycle('delete', ids)))
  control.handle('task.archive', ({ ids }) => wrap(() => tasks.lifecycle('archive', ids)))
  control.handle('task.unarchive', ({ ids }) => wrap(() => tasks.lifecycle('unarchive', ids)))
  control.handle('settings.get', () => tasks.globals())
  control.handle('settings.set', ({ key, value }) => wrap(() => tasks.setSetting(key, value)))
}
