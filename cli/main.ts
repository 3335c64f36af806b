/**
 * The `mmesh` entry point (bin/mmesh.js runs it). Start-up is kept light: registering the commands loads
 * descriptions and options only; each command loads what it needs when it runs (libp2p and the agent for
 * `start`, ink for `tui`, the SharePoint client for `auth`), so `--help`, `agents` or `task list` answer
 * at once.
 */
import { main as programMain } from './program.ts'

export async function main(argv: string[]): Promise<void> {
  await programMain(argv)
}
