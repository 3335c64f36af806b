import type { Command } from 'commander'

/** Registers the task commands of mmesh (filled in by the module that owns them). */
export function registerTaskCommands(_program: Command): void {}
