import type { Command } from 'commander'

/** Registers the agent commands of mmesh (filled in by the module that owns them). */
export function registerAgentCommands(_program: Command): void {}
