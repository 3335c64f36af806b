/**
 * Text from the ledger (task names, sources, file names, failure reasons) is written by whoever holds
 * the fleet key, and file names come from shares anyone can write to. Before such text reaches a
 * terminal it is made inert: C0 and C1 control characters (ESC starts every terminal escape sequence;
 * 0x9B is a one-byte CSI on some terminals), DEL and the bidirectional overrides that reorder what a line
 * appears to say are shown as visible escapes (`\x1b`, `\u202e`), so a file named with escape sequences
 * cannot rewrite an admin's screen or its clipboard. A backslash is left as it is: Windows paths are full
 * of them, and the escapes are for reading, not for parsing back.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

// The same without line feed and tab: for report cells, where a multi-line message is legitimate.
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

const visible = (c: string): string => {
  const code = c.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** For one line of terminal output: every control character escaped, line breaks too. */
export function terminalSafe(text: string): string {
  UNSAFE.lastIndex = 0
  return UNSAFE.test(text) ? text.replace(UNSAFE, visible) : text
}

/** For text that may span lines (report cells): line feeds and tabs kept, every other control escaped. */
export function terminalSafeLines(text: string): string {
  UNSAFE_IN_LINES.lastIndex = 0
  return UNSAFE_IN_LINES.test(text) ? text.replace(UNSAFE_IN_LINES, visible) : text
}
