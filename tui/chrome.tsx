/**
 * The frame around every view: the header line (fleet name, view tabs, counts), the status line for
 * action results, and the key footer, packed into as few lines as the width allows.
 */
import React from 'react'
import { Box, Text } from 'ink'
import type { ViewName } from './model.ts'
import { cell, formatTime } from './format.ts'

export type KeyHint = [key: string, what: string]

const MOVE: KeyHint = ['↑↓/jk', 'move']
const TAB: KeyHint = ['Tab', 'view']
const COMMON_TAIL: KeyHint[] = [
  ['a', 'add'],
  ['i', 'import'],
  ['e', 'export'],
  ['?', 'help'],
  ['q', 'quit'],
]

/** The keys that do something in each view, in the order the footer shows them. */
export function keyHints(view: ViewName, opts: { filtering?: boolean; confirming?: boolean } = {}): KeyHint[] {
  if (opts.confirming) return [['y', 'yes'], ['n/Esc', 'no']]
  switch (view) {
    case 'fleet':
      return [MOVE, TAB, ['⏎', 'tasks of agent'], ['s', 'set group/capacity'], ['F', 'forget'], ...COMMON_TAIL]
    case 'tasks':
      if (opts.filtering) return [['type', 'filter (status:failed tag:T group:G archived)'], ['⏎', 'keep'], ['Esc', 'clear']]
      return [MOVE, TAB, ['⏎', 'detail'], ['p', 'pause/resume'], ['r', 'rerun'], ['A', 'archive'], ['D', 'delete'], ['E', 'edit'], ['/', 'filter'], ['f', 'status'], ['s/S', 'sort'], ...COMMON_TAIL]
    case 'detail':
      return [['p', 'pause/resume'], ['r', 'rerun'], ['c', 'cancel'], ['A', 'archive'], ['D', 'delete'], ['E', 'edit'], ['↑↓/jk', 'scroll'], ['Esc', 'back'], ['?', 'help'], ['q', 'quit']]
    case 'add':
      return [['Tab/↑↓', 'field'], ['⏎', 'add task'], ['Esc', 'cancel']]
    case 'import':
      return [['⏎', 'preview / add'], ['↑↓', 'scroll'], ['Esc', 'back']]
    case 'export':
      return [['⏎', 'write reports'], ['Esc', 'back']]
    case 'edit':
    case 'agent':
      return [['Tab/↑↓', 'field'], ['⏎', 'save'], ['Esc', 'cancel']]
    case 'help':
      return [['Esc/?', 'back'], ['q', 'quit']]
  }
}

/** Packs hints into lines no wider than `width`. */
export function packHints(hints: KeyHint[], width: number): KeyHint[][] {
  const lines: KeyHint[][] = [[]]
  let used = 0
  for (const h of hints) {
    const w = h[0].length + 1 + h[1].length
    const line = lines[lines.length - 1]!
    if (line.length > 0 && used + 2 + w > width) {
      lines.push([h])
      used = w
    } else {
      used += (line.length > 0 ? 2 : 0) + w
      line.push(h)
    }
  }
  return lines
}

export function Footer({ lines }: { lines: KeyHint[][] }): React.ReactElement {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate">
          {line.map(([k, what], j) => (
            <React.Fragment key={j}>
              {j > 0 ? '  ' : ''}
              <Text bold color="cyan">
                {k}
              </Text>
              <Text> {what}</Text>
            </React.Fragment>
          ))}
        </Text>
      ))}
    </Box>
  )
}

const TITLES: Record<ViewName, string> = {
  fleet: 'Fleet',
  tasks: 'Tasks',
  detail: 'Task',
  add: 'Add task',
  import: 'Import',
  export: 'Export',
  help: 'Help',
  edit: 'Edit task',
  agent: 'Agent override',
}

export function Header({ view, selfName, at, width }: { view: ViewName; selfName: string; at: string; width: number }): React.ReactElement {
  const tabs = (['fleet', 'tasks'] as const).map((v) => ({ v, on: v === view || (v === 'tasks' && view === 'detail') }))
  const extra = view === 'fleet' || view === 'tasks' ? '' : ` › ${TITLES[view]}`
  const right = ` ${selfName} · ${formatTime(at).slice(11)} UTC`
  const leftLen = 'mmesh '.length + 'Fleet'.length + 2 + 'Tasks'.length + 2 + extra.length
  const avail = Math.max(0, width - leftLen)
  const rightText = right.length <= avail ? right.padStart(avail) : cell(right, avail)
  return (
    <Text wrap="truncate">
      <Text bold color="green">
        mmesh{' '}
      </Text>
      {tabs.map(({ v, on }) => (
        <Text key={v} inverse={on}>
          {` ${TITLES[v]} `}
        </Text>
      ))}
      <Text bold>{extra}</Text>
      <Text dimColor>{rightText}</Text>
    </Text>
  )
}

/** Lines the status line needs for `text`: long messages (reasons from the fleet) get a second line. */
export function statusLines(text: string | null, width: number): number {
  return text !== null && text.length > width ? 2 : 1
}

export function StatusLine({ text, width }: { text: string | null; width: number }): React.ReactElement {
  const isError = text !== null && /^(error|failed|could not|cannot|no )/i.test(text)
  let lines = [' ']
  if (text !== null && statusLines(text, width) === 1) lines = [text]
  else if (text !== null) {
    // Break at a space when there is one in the second half of the line, so words stay whole.
    const at = text.lastIndexOf(' ', width)
    lines = at > width / 2 ? [text.slice(0, at), text.slice(at + 1)] : [text.slice(0, width), text.slice(width)]
  }
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <Text key={i} color={isError ? 'red' : 'yellow'} wrap="truncate">
          {cell(l, width)}
        </Text>
      ))}
    </Box>
  )
}
