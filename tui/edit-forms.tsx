/**
 * The forms that change what is already in the fleet: a task's name, group, start time and tags (`task
 * edit`) and an agent's fleet-wide override (`agent set`). Both start from the current values; the agent
 * checks what is sent (the same rules as the CLI) and its one-line reason is shown in the form, with
 * nothing changed, so the admin can fix the field and press Enter again.
 */
import React from 'react'
import { Box, Text } from 'ink'
import type { AgentView, TaskView } from '../protocol/views.ts'
import type { AgentSetFields, FleetActions, TaskEditFields } from './model.ts'
import { TextField } from './text-field.tsx'
import { useKeys, useLatestState } from './hooks.ts'
import { cell } from './format.ts'
import { wrapError } from './add-task-form.tsx'
import { terminalSafe } from '../protocol/terminal-text.ts'

interface Field<K extends string> {
  key: K
  label: string
  placeholder: string
}

interface FieldsFormProps<K extends string> {
  title: string
  fields: Field<K>[]
  initial: Record<K, string>
  /** Runs the change; resolves with the message for the status line, rejects with the reason to show. */
  submit(values: Record<K, string>): Promise<string>
  onDone(message: string): void
  onCancel(): void
  width: number
  height: number
}

/** A column of one-line fields; Enter submits, Esc leaves, a failure stays in the form's last line. */
function FieldsForm<K extends string>({ title, fields, initial, submit, onDone, onCancel, width, height }: FieldsFormProps<K>): React.ReactElement {
  const [values, setValues, valuesRef] = useLatestState<Record<K, string>>(initial)
  const [focus, setFocus] = useLatestState(0)
  const [busy, setBusy, busyRef] = useLatestState(false)
  const [failure, setFailure] = useLatestState<string | null>(null)

  useKeys((_input, key) => {
    if (busyRef.current) return
    if (key.escape) return onCancel()
    if (key.return) {
      setBusy(true)
      setFailure(null)
      // The latest text, not the last drawn: the last key typed may not have been drawn yet.
      submit(valuesRef.current).then(
        (message) => {
          setBusy(false)
          onDone(message)
        },
        (err: unknown) => {
          setBusy(false)
          // The agent's reason may quote peer data (a task's name): escaped like everything drawn.
          setFailure(terminalSafe(err instanceof Error ? err.message : String(err)))
        },
      )
      return
    }
    if (key.downArrow || key.upArrow || key.tab) {
      const step = key.downArrow || (key.tab && !key.shift) ? 1 : -1
      setFocus((f) => (f + step + fields.length) % fields.length)
    }
  })

  const labelW = 14
  const fieldW = Math.max(10, width - labelW)
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {cell(title, width)}
      </Text>
      {fields.map(({ key, label, placeholder }, i) => (
        <Text key={key} wrap="truncate">
          <Text bold={i === focus} color={i === focus ? 'cyan' : undefined}>
            {cell(`${i === focus ? '›' : ' '} ${label}`, labelW)}
          </Text>
          <TextField value={values[key]} focus={i === focus && !busy} width={fieldW} placeholder={placeholder} onChange={(update) => setValues((old) => ({ ...old, [key]: update(old[key]) }))} />
        </Text>
      ))}
      <Text> </Text>
      {failure ? (
        wrapError(failure, width, true).map((line, k) => (
          <Text key={k} color="red" wrap="truncate">
            {line}
          </Text>
        ))
      ) : (
        <Text color={busy ? 'yellow' : 'green'} wrap="truncate">
          {cell(busy ? 'Saving…' : 'Enter saves; an empty field clears it.', width)}
        </Text>
      )}
    </Box>
  )
}

type TaskKey = 'name' | 'group' | 'startAt' | 'tags'

/** "a; b, c" → ['a', 'b', 'c'] (Migration Manager's tags CSV uses `;`; a comma is as natural to type). */
export function splitTags(text: string): string[] {
  return text
    .split(/[;,]/)
    .map((t) => t.trim())
    .filter((t) => t !== '')
}

/** Only what differs from the task, as `task edit` flags; null when nothing changed. */
export function taskEditFrom(task: TaskView, v: Record<TaskKey, string>): TaskEditFields | null {
  const edit: TaskEditFields = {}
  if (v.name.trim() !== task.name) edit.name = v.name.trim()
  if (v.group.trim() !== task.group) edit.group = v.group.trim()
  // Emptying the start time drops Run later: the task may start at once.
  if (v.startAt.trim() !== (task.startAt ?? '')) edit.startAt = v.startAt.trim() || 'now'
  const tags = splitTags(v.tags)
  if (tags.join('\n') !== task.tags.join('\n')) {
    if (tags.length === 0) edit.clearTags = true
    else edit.tags = tags
  }
  return Object.keys(edit).length > 0 ? edit : null
}

export function EditTaskForm({ task, actions, width, height, onDone, onCancel }: { task: TaskView; actions: FleetActions; width: number; height: number; onDone(message: string): void; onCancel(): void }): React.ReactElement {
  return (
    <FieldsForm<TaskKey>
      title={cell(`Edit ${task.name} (${task.status}); its next run uses the change`, width)}
      fields={[
        { key: 'name', label: 'Name', placeholder: '' },
        { key: 'group', label: 'Group', placeholder: 'Default' },
        { key: 'startAt', label: 'Start at', placeholder: '(at once) or ISO 8601, e.g. 2025-06-01T19:00:00Z' },
        { key: 'tags', label: 'Tags', placeholder: 'wave1; finance (; or , between tags)' },
      ]}
      initial={{ name: task.name, group: task.group, startAt: task.startAt ?? '', tags: task.tags.join('; ') }}
      submit={async (v) => {
        const edit = taskEditFrom(task, v)
        if (!edit) throw new Error('nothing changed: change a field, or Esc to leave')
        const changed = await actions.editTask(task.id, edit)
        return `Edited ${task.name}: ${changed.join(', ')}`
      }}
      onDone={onDone}
      onCancel={onCancel}
      width={width}
      height={height}
    />
  )
}

type AgentKey = keyof AgentSetFields

export function AgentSetForm({ agent, actions, width, height, onDone, onCancel }: { agent: AgentView; actions: FleetActions; width: number; height: number; onDone(message: string): void; onCancel(): void }): React.ReactElement {
  const o = agent.override ?? {}
  const str = (x: string | number | undefined): string => (x === undefined ? '' : String(x))
  return (
    <FieldsForm<AgentKey>
      title={cell(`Override ${agent.name}'s own flags fleet-wide (now: group ${agent.group}, capacity ${agent.capacity})`, width)}
      fields={[
        { key: 'group', label: 'Group', placeholder: '(its own --group)' },
        { key: 'capacity', label: 'Capacity', placeholder: '(its own --capacity)' },
        { key: 'maxMbps', label: 'Max Mbit/s', placeholder: '(its own --max-mbps; 0 for no limit)' },
      ]}
      initial={{ group: str(o.group), capacity: str(o.capacity), maxMbps: str(o.maxMbps) }}
      submit={async (v) => {
        await actions.setAgent(agent.id, { group: v.group.trim(), capacity: v.capacity.trim(), maxMbps: v.maxMbps.trim() })
        return `Set ${agent.name}: ${[v.group.trim() && `group ${v.group.trim()}`, v.capacity.trim() && `capacity ${v.capacity.trim()}`, v.maxMbps.trim() && `max ${v.maxMbps.trim()} Mbit/s`].filter(Boolean).join(', ') || 'its own flags again'}`
      }}
      onDone={onDone}
      onCancel={onCancel}
      width={width}
      height={height}
    />
  )
}

/** The edit form of `task`, or the override form of `agent`, or a line saying it is gone. */
export function ChangeForm({ task, agent, ...rest }: { task?: TaskView | undefined; agent?: AgentView | undefined; actions: FleetActions; width: number; height: number; onDone(message: string): void; onCancel(): void }): React.ReactElement {
  // Keyed by id so a form opened for another task or agent starts from that one's values.
  if (task) return <EditTaskForm key={task.id} task={task} {...rest} />
  if (agent) return <AgentSetForm key={agent.id} agent={agent} {...rest} />
  return <Text dimColor>It is no longer in the ledger (Esc to go back).</Text>
}
