/** The control endpoint's `usermap.*` methods, over the user-map service; refusals are one-line errors (exit 1). */
import { ControlError, type ControlServer } from '../control/server.ts'
import { TaskServiceError } from '../tasks/task-service.ts'
import { UserMapError, type UserMapService } from './usermap-service.ts'

function wrap<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof UserMapError || err instanceof TaskServiceError) throw new ControlError(err.message)
    throw err
  }
}

export function registerUserMapControl(control: ControlServer, usermap: UserMapService): void {
  control.handle('usermap.import', (p) => wrap(() => usermap.import(p.fileName, Buffer.from(p.content, 'base64'))))
  control.handle('usermap.list', () => usermap.list())
  control.handle('usermap.check', ({ id }) => wrap(() => usermap.check(id)))
}
