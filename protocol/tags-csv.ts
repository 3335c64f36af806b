/**
 * Migration Manager's tags CSV (Tagging: "Download current source paths", edit, upload): columns Task ID,
 * Source Name, Source Path, Tags, with `;` between tags; only Tags is read back, matched by Task ID.
 * Reading is all or nothing: every bad row is named by its line, a header row is required.
 */
import { parse } from 'csv-parse/sync'
import { checkTags, tagsCell } from './tags.ts'

export const TAGS_COLUMNS = ['Task ID', 'Source Name', 'Source Path', 'Tags'] as const

export interface TagsRow {
  id: string
  name: string
  source: string
  tags: readonly string[]
}

/** The rows of the file, header first, as cells (the writer adds the BOM and line ends). */
export function tagsCsvRecords(rows: readonly TagsRow[]): string[][] {
  return [[...TAGS_COLUMNS], ...rows.map((r) => [r.id, r.name, r.source, tagsCell(r.tags)])]
}

export type TagsCsvResult = { ok: true; rows: Array<{ line: number; id: string; tags: string[] }> } | { ok: false; errors: string[] }

export function parseTagsCsv(fileName: string, text: string): TagsCsvResult {
  let records: { record: string[]; info: { lines: number } }[]
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { info: true, relax_column_count: true, skip_empty_lines: true, bom: true }) as unknown as typeof records
  } catch (err) {
    const e = err as { lines?: number; message?: string }
    return { ok: false, errors: [`${fileName}:${e.lines ?? '?'}: not a readable CSV (${(e.message ?? String(err)).split('\n')[0]})`] }
  }
  const header = records[0]?.record.map((c) => c.trim().toLowerCase()) ?? []
  const col = (name: string) => header.indexOf(name.toLowerCase())
  const idAt = col('Task ID')
  const tagsAt = col('Tags')
  if (idAt < 0 || tagsAt < 0) return { ok: false, errors: [`${fileName}:1: expected a header with the columns ${TAGS_COLUMNS.join(', ')} (as mmesh task tags export writes it)`] }
  const errors: string[] = []
  const rows: Array<{ line: number; id: string; tags: string[] }> = []
  const seen = new Map<string, number>()
  for (const r of records.slice(1)) {
    const line = r.info.lines
    if (r.record.every((c) => c.trim() === '')) continue
    const id = (r.record[idAt] ?? '').trim()
    if (id === '') {
      errors.push(`${fileName}:${line}: Task ID is empty; every row names its task`)
      continue
    }
    const tags = checkTags(r.record[tagsAt] ?? '', 'Tags')
    if (!tags.ok) {
      errors.push(`${fileName}:${line}: ${tags.error}`)
      continue
    }
    const first = seen.get(id)
    if (first !== undefined) {
      errors.push(`${fileName}:${line}: task ${id} is on line ${first} already; keep one row per task`)
      continue
    }
    seen.set(id, line)
    rows.push({ line, id, tags: tags.value })
  }
  if (records.length <= 1) errors.push(`${fileName}: no rows after the header; export the tags first (mmesh task tags export FILE)`)
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rows }
}
