/**
 * A one-line text input that never grows past its width: it shows the end of the value (where the
 * cursor is) so long paths and URLs stay on one line at 80 columns. Typing appends, Backspace removes;
 * pasted text arrives as one input and is taken whole (newlines dropped).
 */
import React from 'react'
import { Text } from 'ink'
import { useKeys } from './hooks.ts'

export interface TextFieldProps {
  value: string
  /** Gets the edit as a function of the previous value, so keys arriving before a redraw all count. */
  onChange(update: (prev: string) => string): void
  focus: boolean
  width: number
  placeholder?: string
}

/** The edit one key press makes, or null when the key is not text editing (the caller may use it). */
export function editFor(input: string, key: { backspace: boolean; delete: boolean; ctrl: boolean; meta: boolean }): ((value: string) => string) | null {
  if (key.backspace || key.delete) return (v) => v.slice(0, -1)
  // Ctrl+U clears the line, as in a shell.
  if (key.ctrl && input === 'u') return () => ''
  if (key.ctrl || key.meta || input === '') return null
  const text = input.replace(/[\r\n]+/g, '').replace(/[\u0000-\u001f\u007f]/g, '')
  return text === '' ? null : (v) => v + text
}

export function TextField({ value, onChange, focus, width, placeholder }: TextFieldProps): React.ReactElement {
  useKeys((input, key) => {
    if (key.return || key.tab || key.escape || key.upArrow || key.downArrow) return
    const edit = editFor(input, key)
    if (edit) onChange(edit)
  }, focus, { text: true })
  const room = Math.max(1, width - 1)
  if (value === '' && placeholder) {
    return (
      <Text>
        {focus ? <Text inverse> </Text> : null}
        <Text dimColor>{placeholder.slice(0, focus ? room - 1 : room)}</Text>
      </Text>
    )
  }
  const shown = value.length > room ? `…${value.slice(value.length - room + 1)}` : value
  return (
    <Text>
      {shown}
      {focus ? <Text inverse> </Text> : null}
    </Text>
  )
}
