import type { Command } from 'commander'

/** Registers the report commands of mmesh (filled in by the module that owns them). */
export function registerReportCommands(_program: Command): void {}
