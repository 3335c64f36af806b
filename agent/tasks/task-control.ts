/** The control endpoint's task and settings methods, over the task service. */
import type { ControlServer } from '../control/server.ts'
import { ControlError } from '../control/server.ts'
import { TaskServiceError, toJson, type TaskService } from './task-service.ts'
import type { TaskInput } from '../../protocol/task-input.ts'

function str(params: Record<string, unknown>, key: string): string {
  const v = params[key]
  if (typeof v !== 'string' || v === '') throw new ControlError(`missing ${key}`)
  return v
}

/** Service refusals become one-line errors for the CLI (exit 1); anything else propagates as a failure. */
function wrap<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof TaskServiceError) throw new ControlError(err.message)
    throw err
  }
}

export function registerTaskControl(control: ControlServer, tasks: TaskService): void {
  control.handle('task.add', (p) => wrap(() => tasks.add(p.input as TaskInput)))
  control.handle('task.import', (p) => wrap(() => tasks.import(str(p, 'fileName'), Buffer.from(str(p, 'content'), 'base64'))))
  control.handle('task.importPreview', (p) => wrap(() => tasks.previewImport(str(p, 'fileName'), Buffer.from(str(p, 'content'), 'base64'))))
  control.handle('task.list', () => tasks.list())
  control.handle('task.views', () => tasks.views())
  control.handle('task.show', (p) => wrap(() => tasks.show(str(p, 'id'))))
  control.handle('task.showJson', (p) => wrap(() => toJson(tasks.show(str(p, 'id')))))
  control.handle('task.pause', (p) => wrap(() => tasks.pause(str(p, 'id'))))
  control.handle('task.resume', (p) => wrap(() => tasks.resume(str(p, 'id'))))
  control.handle('task.rerun', (p) => wrap(() => tasks.rerun(str(p, 'id'))))
  control.handle('task.cancel', (p) => wrap(() => tasks.cancel(str(p, 'id'))))
  control.handle('settings.get', () => tasks.globals())
  control.handle('settings.set', (p) => wrap(() => tasks.setSetting(str(p, 'key'), String(p.value ?? ''))))
}
