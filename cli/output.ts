/**
 * How the CLI prints. Much of what it shows comes from the ledger or from agents — task names, file
 * names, reasons, agent names — and anyone with the fleet key (or write access to a share) chooses that
 * text: messages and warnings pass through terminalSafe here, so an escape sequence in a name shows as
 * `\x1b` instead of rewriting the admin's screen. Tables escape their cells where they are built
 * (task-format.ts, agent-commands.ts), before padding, so columns stay aligned. JSON (`--json`) goes out
 * as JSON.stringify wrote it: it escapes C0 controls itself, and scripts must get the exact values.
 */
import { terminalSafe } from '../protocol/terminal-text.ts'

/**
 * Each line of a message made terminal-safe, the line breaks between them kept: an import's errors
 * arrive as one message of `FILE:ROW: …` lines.
 */
export function safeText(text: string): string {
  return text.includes('\n') ? text.split('\n').map(terminalSafe).join('\n') : terminalSafe(text)
}

/** A result line (or preformatted table, or JSON) on stdout, as it is. */
export function out(text: string): void {
  process.stdout.write(`${text}\n`)
}

/** A message on stderr, `mmesh: …`. */
export function note(text: string): void {
  process.stderr.write(`mmesh: ${safeText(text)}\n`)
}

export function warn(text: string): void {
  process.stderr.write(`mmesh: warning: ${safeText(text)}\n`)
}
