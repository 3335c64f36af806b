/** Export: writes the reports (CONTRACT.md "Reports") to a folder the admin names, and says where. */
import React, { useState } from 'react'
import { Box, Text } from 'ink'
import type { ExportResult, FleetActions } from './model.ts'
import { TextField } from './text-field.tsx'
import { useKeys, useLatestState } from './hooks.ts'
import { cell } from './format.ts'

export interface ExportViewProps {
  actions: FleetActions
  width: number
  height: number
  onDone(message: string): void
  onCancel(): void
}

type Stage = { kind: 'path' } | { kind: 'writing' } | { kind: 'done'; result: ExportResult } | { kind: 'failed'; message: string }

export function exportMessage(r: ExportResult): string {
  return `Wrote ${r.files.length} report file${r.files.length === 1 ? '' : 's'} to ${r.dir}`
}

export function ExportView({ actions, width, height, onDone, onCancel }: ExportViewProps): React.ReactElement {
  const [dir, setDir, dirRef] = useLatestState('')
  const [stage, setStage, stageRef] = useLatestState<Stage>({ kind: 'path' })
  useKeys((_input, key) => {
    // The latest values, not the last drawn ones: keys can arrive faster than redraws.
    const dir = dirRef.current
    const stage = stageRef.current
    if (stage.kind === 'writing') return
    if (key.escape) return onCancel()
    if (!key.return) return
    if (stage.kind === 'done') return onCancel()
    if (!dir.trim()) {
      setStage({ kind: 'failed', message: 'Type the folder to write the reports to first.' })
      return
    }
    setStage({ kind: 'writing' })
    actions.exportReports(dir.trim()).then(
      (result) => {
        setStage({ kind: 'done', result })
        onDone(exportMessage(result))
      },
      (err: unknown) => setStage({ kind: 'failed', message: `could not write the reports: ${err instanceof Error ? err.message : String(err)}` }),
    )
  })
  const room = Math.max(0, height - 5)
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>Export the reports (Aggregate Summary Report.csv, per-task item reports, ledger.json)</Text>
      <Text wrap="truncate">
        <Text bold>{'Folder '}</Text>
        <TextField value={dir} onChange={setDir} focus={stage.kind === 'path' || stage.kind === 'failed'} width={width - 7} placeholder="/path/to/reports (created if missing)" />
      </Text>
      {stage.kind === 'writing' ? <Text>Writing the reports…</Text> : null}
      {stage.kind === 'failed' ? (
        <Text color="red" wrap="truncate">
          {cell(stage.message, width)}
        </Text>
      ) : null}
      {stage.kind === 'done' ? (
        <>
          <Text color="green" bold wrap="truncate">
            {cell(exportMessage(stage.result), width)}
          </Text>
          {stage.result.files.slice(0, room).map((f) => (
            <Text key={f} dimColor wrap="truncate">
              {cell(`  ${f}`, width)}
            </Text>
          ))}
          {stage.result.files.length > room ? <Text dimColor>{`  … and ${stage.result.files.length - room} more`}</Text> : null}
        </>
      ) : null}
    </Box>
  )
}
