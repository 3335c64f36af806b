import type { Command } from 'commander'

/** Registers the auth commands of mmesh (filled in by the module that owns them). */
export function registerAuthCommands(_program: Command): void {}
