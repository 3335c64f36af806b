/**
 * Migration Manager's bulk CSV: exactly six columns — A source (required), B and C blank, D site or
 * OneDrive URL (required), E library (required), F subfolder (optional). The header row is optional: a
 * first row whose column D is not a URL is a header. Rows are reported by the line they start on.
 */
import { parse } from 'csv-parse/sync'
import { DuplicateFinder, MAX_IMPORT_TASKS, tooManyTasks, type ImportResult } from './import-common.ts'
import { ROWS_PER_STEP, eachInSteps, type Steps } from './steps.ts'
import { formatFieldErrors, validateTaskInput, type TaskDraft } from './task-input.ts'

const COLUMNS = 'A source path, B blank, C blank, D site URL, E library, F subfolder'

interface Row {
  line: number
  cells: string[]
}

function isUrlLike(v: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(v.trim()) || /^[^\s@/]+@[^\s@/]+\.[^\s@/]+$/.test(v.trim())
}

function looksLikePath(v: string): boolean {
  return /^\s*([\\/]|[A-Za-z]:)/.test(v)
}

/**
 * Where the text can be cut into parts of about `every` records each: after a line end outside a quoted
 * value, by csv-parse's rules as configured below (a quote opens a quoted value only at a value's start;
 * inside one, `""` is a quote and `"` closes it). Answers the cut offsets, the text's end last.
 */
function cuts(t: string, every: number): number[] {
  const out: number[] = []
  let records = 0
  let quoted = false
  let valueStart = true
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i)
    if (quoted) {
      if (c === 34 /* " */) {
        if (t.charCodeAt(i + 1) === 34) i++
        else quoted = false
      }
      continue
    }
    if (c === 34 && valueStart) quoted = true
    else if (c === 10 /* \n */) {
      if (++records % every === 0) out.push(i + 1)
      valueStart = true
      continue
    }
    valueStart = c === 44 /* , */
  }
  if (out[out.length - 1] !== t.length) out.push(t.length)
  return out
}

/**
 * Splits the text into records with the line each starts on (csv-parse reports where a record ends), a
 * part of ROWS_PER_STEP records at a time: one csv-parse call over a 50,000-row file held an agent's event
 * loop for seconds.
 */
function* readRows(fileName: string, text: string): Steps<{ ok: true; rows: Row[] } | { ok: false; error: string }> {
  // One line-ending style makes line counting exact; a CR/LF inside a quoted path is refused later anyway.
  let t = text.replace(/\r\n?/g, '\n')
  if (!t.endsWith('\n')) t += '\n'
  const rows: Row[] = []
  let from = 0
  let linesBefore = 0
  for (const to of cuts(t, ROWS_PER_STEP)) {
    const part = t.slice(from, to)
    let records: { record: string[]; raw: string; info: { lines: number } }[]
    try {
      records = parse(part, {
        info: true,
        raw: true,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
      }) as unknown as typeof records
    } catch (err) {
      const e = err as { code?: string; lines?: number; message?: string }
      const line = e.lines === undefined ? '?' : e.lines + linesBefore
      if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
        return { ok: false, error: `${fileName}:${line}: a quoted value is never closed; add the closing " (a quote inside a value is written "")` }
      }
      return { ok: false, error: `${fileName}:${line}: not a readable CSV (${(e.message ?? String(err)).split('\n')[0]})` }
    }
    for (const r of records) {
      const raw = r.raw.replace(/^\n+/, '')
      const newlines = raw.split('\n').length - 1
      const line = linesBefore + r.info.lines - newlines + 1
      // A line of spaces or commas only is an empty line, as Excel writes them after the last row.
      if (r.record.every((c) => c.trim() === '')) continue
      rows.push({ line, cells: r.record })
    }
    for (let i = from; i < to; i++) if (t.charCodeAt(i) === 10) linesBefore++
    from = to
    yield
  }
  return { ok: true, rows }
}

function problemsOf(row: Row): { problems: string[]; draft?: TaskDraft; warnings: string[] } {
  const c = row.cells
  if (c.length === 1 && (c[0] ?? '').split(';').length === 6) {
    // Excel in many European locales saves "CSV" with semicolons
    return { problems: ['columns are separated by ";"; Migration Manager\'s CSV uses commas (in Excel: Save As "CSV UTF-8 (Comma delimited)")'], warnings: [] }
  }
  if (c.length !== 6) {
    return { problems: [`has ${c.length} column${c.length === 1 ? '' : 's'}; Migration Manager's CSV has exactly 6 (${COLUMNS}), empty ones included`], warnings: [] }
  }
  const [a = '', b = '', cc = '', d = '', e = '', f = ''] = c
  const problems: string[] = []
  if (a.trim() === '') problems.push('column A (source path) is empty; give the file share path such as \\\\server\\share\\folder')
  if (b.trim() !== '' || cc.trim() !== '') problems.push('columns B and C must be blank; put the site URL in D, the library in E and the subfolder in F')
  if (d.trim() === '') problems.push('column D (site URL) is empty; give the SharePoint site or OneDrive URL')
  if (e.trim() === '') problems.push('column E (library) is empty; give the document library such as Documents')
  if (/[\r\n]/.test(a + d + e + f)) problems.push('a value spans several lines; remove the line break inside the quotes')
  if (problems.length) return { problems, warnings: [] }
  const r = validateTaskInput({ source: a, dest: d, library: e, folder: f })
  if (!r.ok) return { problems: [formatFieldErrors(r.errors)], warnings: [] }
  return { problems: [], draft: r.spec, warnings: r.warnings }
}

export function* parseCsvImport(fileName: string, text: string): Steps<ImportResult> {
  const read = yield* readRows(fileName, text)
  if (!read.ok) return { ok: false, errors: [read.error] }
  let rows = read.rows
  const first = rows[0]
  // The contract's rule (column D not a URL), narrowed so that a first data row missing its URL is
  // reported rather than silently taken for a header.
  if (first && first.cells.length === 6 && !isUrlLike(first.cells[3] ?? '') && !looksLikePath(first.cells[0] ?? '')) rows = rows.slice(1)
  if (rows.length === 0) return { ok: false, errors: [`${fileName}: no tasks in the file (only a header); add one row per task: ${COLUMNS}`] }
  if (rows.length > MAX_IMPORT_TASKS) return { ok: false, errors: [tooManyTasks(fileName, rows.length)] }

  const errors: string[] = []
  const warnings: string[] = []
  const tasks: TaskDraft[] = []
  const dups = new DuplicateFinder()
  yield* eachInSteps(rows, (row) => {
    const { problems, draft, warnings: w } = problemsOf(row)
    if (problems.length) {
      errors.push(`${fileName}:${row.line}: ${problems.join('; ')}`)
      return
    }
    const firstLine = dups.check(draft!, String(row.line))
    if (firstLine !== null) {
      errors.push(`${fileName}:${row.line}: A duplicate task has already been created: same source and destination as line ${firstLine}; remove one of the two rows`)
      return
    }
    warnings.push(...w.map((m) => `${fileName}:${row.line}: ${m}`))
    tasks.push(draft!)
  })
  return errors.length ? { ok: false, errors } : { ok: true, tasks, warnings }
}
