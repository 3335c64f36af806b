import type { Command } from 'commander'

/** Registers the view commands of mmesh (filled in by the module that owns them). */
export function registerViewCommands(_program: Command): void {}
