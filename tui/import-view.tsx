/**
 * Bulk import: a path, then a preview of every task the file would add (or every bad record with its
 * reason), and only then, on a second Enter, the import itself (all-or-nothing, as `mmesh task import`).
 */
import React, { useState } from 'react'
import { Box, Text } from 'ink'
import type { FleetActions, ImportPreview } from './model.ts'
import { TextField } from './text-field.tsx'
import { useKeys, useLatestState } from './hooks.ts'
import { cell, destinationText } from './format.ts'

export interface ImportViewProps {
  actions: FleetActions
  width: number
  height: number
  onDone(ids: string[]): void
  onCancel(): void
}

type Stage =
  | { kind: 'path' }
  | { kind: 'loading' }
  | { kind: 'preview'; preview: ImportPreview }
  | { kind: 'committing'; preview: ImportPreview }
  | { kind: 'failed'; message: string }

export function ImportView({ actions, width, height, onDone, onCancel }: ImportViewProps): React.ReactElement {
  const [path, setPath, pathRef] = useLatestState('')
  const [stage, setStage, stageRef] = useLatestState<Stage>({ kind: 'path' })
  const [scroll, setScroll] = useState(0)
  const message = (err: unknown): string => (err instanceof Error ? err.message : String(err))

  useKeys((input, key) => {
    // The latest values, not the last drawn ones: keys can arrive faster than redraws.
    const path = pathRef.current
    const stage = stageRef.current
    if (stage.kind === 'loading' || stage.kind === 'committing') return
    if (key.escape) {
      // From a preview Esc goes back to the path (to fix the file and look again); from the path it leaves.
      if (stage.kind === 'path') onCancel()
      else setStage({ kind: 'path' })
      return
    }
    if (stage.kind === 'path' || stage.kind === 'failed') {
      if (!key.return) return
      if (!path.trim()) {
        setStage({ kind: 'failed', message: 'Type the path of a CSV or JSON file first.' })
        return
      }
      setStage({ kind: 'loading' })
      setScroll(0)
      actions.previewImport(path.trim()).then(
        (preview) => setStage({ kind: 'preview', preview }),
        (err: unknown) => setStage({ kind: 'failed', message: `could not read ${path.trim()}: ${message(err)}` }),
      )
      return
    }
    if (stage.kind === 'preview') {
      if (key.downArrow || input === 'j') setScroll((s) => s + 1)
      else if (key.upArrow || input === 'k') setScroll((s) => Math.max(0, s - 1))
      else if (key.pageDown) setScroll((s) => s + listRoom)
      else if (key.pageUp) setScroll((s) => Math.max(0, s - listRoom))
      else if ((key.return || input === 'y') && stage.preview.ok) {
        const preview = stage.preview
        setStage({ kind: 'committing', preview })
        actions.commitImport(path.trim()).then(
          (ids) => onDone(ids),
          (err: unknown) => setStage({ kind: 'failed', message: `nothing was added: ${message(err)}` }),
        )
      }
    }
  })

  const listRoom = Math.max(1, height - 5)
  const lines: { text: string; color?: string }[] = []
  let summary = ''
  if (stage.kind === 'preview' || stage.kind === 'committing') {
    const p = stage.preview
    if (p.ok) {
      summary = `${p.tasks.length} task${p.tasks.length === 1 ? '' : 's'} to add${p.warnings.length ? `, ${p.warnings.length} warning(s)` : ''}. ${stage.kind === 'committing' ? 'Adding…' : 'Enter adds them all, Esc goes back.'}`
      for (const w of p.warnings) lines.push({ text: `warning: ${w}`, color: 'yellow' })
      for (const t of p.tasks) lines.push({ text: `${t.name}  ${t.source} → ${destinationText(t.destination)}  [${t.group}]` })
    } else {
      summary = `${p.errors.length} bad record${p.errors.length === 1 ? '' : 's'}: nothing will be added. Fix the file, then Esc and Enter to look again.`
      for (const e of p.errors) lines.push({ text: e, color: 'red' })
    }
  }
  const first = Math.max(0, Math.min(scroll, lines.length - listRoom))
  const ok = (stage.kind === 'preview' || stage.kind === 'committing') && stage.preview.ok
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>Import tasks from Migration Manager's CSV or JSON</Text>
      <Text wrap="truncate">
        <Text bold>{'File '}</Text>
        <TextField value={path} onChange={setPath} focus={stage.kind === 'path' || stage.kind === 'failed'} width={width - 5} placeholder="/path/to/tasks.csv" />
      </Text>
      {stage.kind === 'loading' ? <Text>Reading the file…</Text> : null}
      {stage.kind === 'failed' ? (
        <Text color="red" wrap="truncate">
          {cell(stage.message, width)}
        </Text>
      ) : null}
      {summary ? (
        <Text bold color={ok ? 'green' : 'red'} wrap="truncate">
          {cell(summary, width)}
        </Text>
      ) : null}
      {lines.slice(first, first + listRoom).map((l, i) => (
        <Text key={first + i} color={l.color} wrap="truncate">
          {cell(l.text, width)}
        </Text>
      ))}
      {lines.length > listRoom ? <Text dimColor>{cell(`rows ${first + 1}-${Math.min(lines.length, first + listRoom)} of ${lines.length} (↑↓ scroll)`, width)}</Text> : null}
    </Box>
  )
}
