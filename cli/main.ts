/**
 * The `mmesh` entry point (bin/mmesh.js runs it). Start-up is kept light: registering the commands loads
 * descriptions and options only; each command loads what it needs when it runs (libp2p and the agent for
 * `start`, ink for `tui`, the SharePoint client for `auth`), so `--help`, `agents` or `task list` answer
 * at once.
 */
import { main as programMain, type ProgramExtras } from './program.ts'

/** `agentPlugins`: only the tests' agent entry passes any (test/support/test-agent.ts). */
export async function main(argv: string[], extras: Pick<ProgramExtras, 'agentPlugins'> = {}): Promise<void> {
  await programMain(argv, extras)
}
