/** Help: every key, per view, and what the views show. */
import React from 'react'
import { Box, Text } from 'ink'
import { cell } from './format.ts'

export const HELP_LINES: [string, string][] = [
  ['Tab / Shift+Tab', 'switch between Fleet and Tasks'],
  ['↑ ↓  j k', 'move; PgUp PgDn a page, g G first and last'],
  ['Enter', 'Tasks: open the task; Fleet: tasks of the agent'],
  ['/', 'filter as task list: status:failed tag:T agent:A group:G archived, text'],
  ['f', 'cycle the status filter; s sort column, S reverse'],
  ['p', 'pause the task, or resume it when paused'],
  ['r', 'rerun the task (a new round: only what changed is copied)'],
  ['c', 'cancel the task (in its detail, asks first)'],
  ['A  D  E', 'archive (unarchive); delete (asks); edit name/group/start/tags'],
  ['s  F', "Fleet: set agent's group/capacity/max-mbps; forget it (asks)"],
  ['a', 'add a task (checked as you type)'],
  ['i', 'import Migration Manager CSV/JSON (preview before adding)'],
  ['e', 'export the reports to a folder'],
  ['Esc', 'back out of a form, the detail or this help'],
  ['?', 'this help'],
  ['q', 'quit the view (the agent keeps running)'],
]

export function HelpView({ width, height }: { width: number; height: number }): React.ReactElement {
  const keyW = 17
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>Keys</Text>
      {HELP_LINES.slice(0, Math.max(0, height - 3)).map(([k, what]) => (
        <Text key={k} wrap="truncate">
          <Text bold color="cyan">
            {cell(k, keyW)}
          </Text>
          {cell(what, Math.max(0, width - keyW))}
        </Text>
      ))}
      <Text dimColor wrap="truncate">
        {cell('Numbers are live: data redraws a few times a second; times are UTC.', width)}
      </Text>
    </Box>
  )
}
