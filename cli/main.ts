/**
 * The `mmesh` entry point: the node CLI plus the commands that show the fleet view (`tui`, `demo`,
 * `start --tui`), which live here because the view depends on node/, not the other way round.
 */
import { main as nodeMain } from './program.ts'
import { setViewAttacher } from './view-hook.ts'
import { attachFleetView, registerViewCommands } from './view-commands.ts'

export async function main(argv: string[]): Promise<void> {
  setViewAttacher(attachFleetView)
  await nodeMain(argv, { register: [registerViewCommands] })
}
