/**
 * Add task: the fields of `mmesh task add`, checked as the admin types by actions.validateTask (the same
 * rules as the CLI). A field's message shows once the field was typed in or a submit was tried.
 */
import React, { useMemo, useState } from 'react'
import { Box, Text } from 'ink'
import type { FieldErrors, FleetActions, TaskInput, TaskInputField } from './model.ts'
import { TextField } from './text-field.tsx'
import { useKeys, useLatestState } from './hooks.ts'
import { cell } from './format.ts'

export const FORM_FIELDS: { field: TaskInputField; label: string; placeholder: string }[] = [
  { field: 'source', label: 'Source', placeholder: '\\\\server\\share\\folder or /abs/path' },
  { field: 'dest', label: 'Destination', placeholder: 'https://contoso.sharepoint.com/sites/x or file:///dir' },
  { field: 'library', label: 'Library', placeholder: 'Documents' },
  { field: 'folder', label: 'Folder', placeholder: '(library root)' },
  { field: 'name', label: 'Name', placeholder: '(last part of the source)' },
  { field: 'group', label: 'Group', placeholder: 'Default' },
  { field: 'settings', label: 'Settings', placeholder: 'e.g. ScanOnly=true skip-ext=tmp:bak created-after=2024-01-01' },
]

export type FormValues = Record<TaskInputField, string>

export const EMPTY_FORM: FormValues = { source: '', dest: '', library: '', folder: '', name: '', group: '', settings: '' }

/** "ScanOnly=true skip-ext=tmp:bak" → {ScanOnly: 'true', 'skip-ext': 'tmp:bak'}; a bare key means true. */
export function parseSettingsText(text: string): { ok: true; value: Record<string, string | boolean> } | { ok: false; error: string } {
  const out: Record<string, string | boolean> = {}
  for (const token of text.split(/[\s,]+/)) {
    if (!token) continue
    const eq = token.indexOf('=')
    if (eq === 0) return { ok: false, error: `settings: "${token}" has no setting name; write KEY=VALUE, e.g. ScanOnly=true` }
    if (eq < 0) out[token] = true
    else out[token.slice(0, eq)] = token.slice(eq + 1)
  }
  return { ok: true, value: out }
}

/** The form's text as a TaskInput (empty optional fields left out) plus a local settings syntax error. */
export function formToInput(v: FormValues): { input: TaskInput; settingsError: string | null } {
  const input: TaskInput = { source: v.source.trim(), dest: v.dest.trim() }
  for (const f of ['library', 'folder', 'name', 'group'] as const) if (v[f].trim()) input[f] = v[f].trim()
  let settingsError: string | null = null
  if (v.settings.trim()) {
    const s = parseSettingsText(v.settings)
    if (s.ok) input.settings = s.value
    else settingsError = s.error
  }
  return { input, settingsError }
}

/** A message in one or two lines of `width` (broken at a space), cut with an ellipsis beyond that. */
export function wrapError(text: string, width: number, two: boolean): string[] {
  if (text.length <= width || !two) return [cell(text, width)]
  const at = text.lastIndexOf(' ', width)
  const cut = at > width / 2 ? at : width
  return [text.slice(0, cut), cell(text.slice(cut).trimStart(), width)]
}

export interface AddTaskFormProps {
  actions: FleetActions
  width: number
  height: number
  onAdded(id: string, name: string): void
  onCancel(): void
  onError(message: string): void
}

export function AddTaskForm({ actions, width, height, onAdded, onCancel, onError }: AddTaskFormProps): React.ReactElement {
  const [values, setValues, valuesRef] = useLatestState<FormValues>(EMPTY_FORM)
  const [focus, setFocus, focusRef] = useLatestState(0)
  const [touched, setTouched] = useState<Set<TaskInputField>>(new Set())
  const [tried, setTried] = useState(false)
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<string | null>(null)

  const { input, settingsError } = useMemo(() => formToInput(values), [values])
  const errors: FieldErrors = useMemo(() => {
    let e: FieldErrors
    try {
      e = actions.validateTask(input)
    } catch (err) {
      e = { source: `could not check the task: ${(err as Error).message}` }
    }
    return settingsError ? { ...e, settings: settingsError } : e
  }, [actions, input, settingsError])
  const hasErrors = Object.values(errors).some((x) => x)

  const submit = (): void => {
    setTried(true)
    // Checked again from the latest text: the last key typed may not have been drawn yet.
    const { input, settingsError } = formToInput(valuesRef.current)
    const errors = actions.validateTask(input)
    if (settingsError || Object.values(errors).some((x) => x) || busy) return
    setBusy(true)
    setFailure(null)
    actions.addTask(input).then(
      ({ id }) => {
        setBusy(false)
        onAdded(id, input.name ?? input.source)
      },
      (err: unknown) => {
        setBusy(false)
        const msg = `could not add the task: ${err instanceof Error ? err.message : String(err)}`
        setFailure(msg)
        onError(msg)
      },
    )
  }

  useKeys((_input, key) => {
    if (key.escape) return onCancel()
    if (key.return) return submit()
    if (key.downArrow || key.upArrow || key.tab) {
      const left = FORM_FIELDS[focusRef.current]!.field
      setTouched((t) => new Set(t).add(left))
      const step = key.downArrow || (key.tab && !key.shift) ? 1 : -1
      setFocus((f) => (f + step + FORM_FIELDS.length) % FORM_FIELDS.length)
    }
  }, !busy)

  const labelW = 14
  const fieldW = Math.max(10, width - labelW)
  const shownCount = FORM_FIELDS.filter(({ field }) => (tried || touched.has(field) || values[field] !== '') && errors[field]).length
  // Messages name the fix at their end; give them two lines when the screen has room for that.
  const twoLines = FORM_FIELDS.length + 3 + shownCount * 2 <= height
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>Add a task</Text>
      {FORM_FIELDS.map(({ field, label, placeholder }, i) => {
        const shown = (tried || touched.has(field) || values[field] !== '') && errors[field]
        return (
          <Box key={field} flexDirection="column">
            <Text wrap="truncate">
              <Text bold={i === focus} color={i === focus ? 'cyan' : undefined}>
                {cell(`${i === focus ? '›' : ' '} ${label}`, labelW)}
              </Text>
              <TextField
                value={values[field]}
                focus={i === focus && !busy}
                width={fieldW}
                placeholder={placeholder}
                onChange={(update) => {
                  setValues((old) => ({ ...old, [field]: update(old[field]) }))
                  setTouched((t) => (t.has(field) ? t : new Set(t).add(field)))
                }}
              />
            </Text>
            {shown
              ? wrapError(errors[field]!, width - labelW, twoLines).map((line, k) => (
                  <Text key={k} color="red" wrap="truncate">
                    {' '.repeat(labelW)}
                    {line}
                  </Text>
                ))
              : null}
          </Box>
        )
      })}
      <Text> </Text>
      <Text wrap="truncate" color={failure ? 'red' : hasErrors ? 'yellow' : 'green'}>
        {cell(
          busy ? 'Adding…' : failure ? failure : hasErrors ? (tried ? 'Fix the fields in red, then Enter.' : 'Fill in source and destination; Enter adds the task.') : 'Ready: Enter adds the task.',
          width,
        )}
      </Text>
    </Box>
  )
}
