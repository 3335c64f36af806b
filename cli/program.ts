/**
 * The `mmesh` command: one commander program; each group of commands registers itself from its own
 * module so the agent, task, report, auth and fleet-view commands can grow independently.
 */
import { Command, CommanderError } from 'commander'
import { registerAgentCommands } from './agent-commands.ts'
import { registerTaskCommands } from './task-commands.ts'
import { registerReportCommands } from './report-commands.ts'
import { registerAuthCommands } from './auth-commands.ts'
import { registerViewCommands } from './view-commands.ts'
import { registerOpsCommands } from './ops-commands.ts'
import { registerUserMapCommands } from './usermap-commands.ts'
import { registerGroupCommands } from './group-commands.ts'
import { CliError, EXIT } from '../api/errors.ts'
import { note } from './output.ts'
import type { AgentPlugins } from '../agent/plugins.ts'

export interface ProgramExtras {
  /**
   * Plugged into the agent that `start` runs. Production passes none; the tests' agent entry
   * (test/support/test-agent.ts) passes its hooks here, the one door for them.
   */
  agentPlugins?: AgentPlugins
}

export function buildProgram(extras: ProgramExtras = {}): Command {
  const program = new Command('mmesh')
    .description('Move file shares into SharePoint Online and OneDrive with a fleet of agents and no central server')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
  registerAgentCommands(program, extras.agentPlugins)
  registerGroupCommands(program)
  registerTaskCommands(program)
  registerReportCommands(program)
  registerAuthCommands(program)
  registerViewCommands(program)
  registerOpsCommands(program)
  registerUserMapCommands(program)
  return program
}

export async function main(argv: string[], extras: ProgramExtras = {}): Promise<void> {
  const program = buildProgram(extras)
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; a usage error is bad input
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.badInput
      return
    }
    // An agent's refusal can quote a task's name or path: note() shows control characters escaped.
    if (err instanceof CliError) {
      note(err.message)
      process.exitCode = err.exitCode
      return
    }
    note(err instanceof Error ? err.message : String(err))
    process.exitCode = EXIT.badInput
  }
}
