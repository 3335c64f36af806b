import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseImport, MAX_IMPORT_BYTES, firstInvalidUtf8 } from './import.ts'

const CORPUS = join(import.meta.dirname, '..', 'test', 'fixtures', 'hostile-inputs')
interface Case {
  file: string
  note: string
  tasks?: number
  errors?: string[]
  warnings?: string[]
}
const { cases } = JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8')) as { cases: Case[] }
const SITE = 'https://contoso.sharepoint.com/sites/finance'

describe('hostile-inputs corpus', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(30))
  for (const c of cases) {
    it(`${c.file}${c.note ? ` (${c.note})` : ''}`, () => {
      const r = parseImport(c.file, new Uint8Array(readFileSync(join(CORPUS, c.file))))
      if (c.tasks !== undefined) {
        expect(r.ok ? [] : r.errors).toEqual([])
        if (!r.ok) return
        expect(r.tasks).toHaveLength(c.tasks)
        for (const w of c.warnings ?? []) expect(r.warnings.join('\n')).toContain(w)
        if (!c.warnings) expect(r.warnings).toEqual([])
      } else {
        expect(r.ok).toBe(false)
        if (r.ok) return
        const all = r.errors.join('\n')
        for (const frag of c.errors ?? []) expect(all).toContain(frag)
        // every line says where and what: FILE[:ROW]: problem, one line each
        for (const line of r.errors) {
          expect(line.startsWith(`${c.file}:`)).toBe(true)
          expect(line).not.toContain('\n')
        }
      }
    })
  }
})

describe('CSV import', () => {
  it('keeps formula-like values verbatim (they are data; reports escape them)', () => {
    const r = parseImport('f.csv', readFileSync(join(CORPUS, 'formula-injection.csv')))
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.tasks[0]!.source).toBe('\\\\fs01\\=cmd')
    expect(r.tasks[0]!.destination.folder).toBe('@SUM(1+1)')
    expect(r.tasks[1]!.destination.library).toBe('+Library')
    expect(r.tasks[1]!.destination.folder).toBe('-x')
  })

  it('maps the six columns to a draft with defaults', () => {
    const r = parseImport('t.csv', `\\\\fs01\\dept\\HR,,,${SITE}/,Shared Docs,a\\b/c\n`)
    expect(r).toEqual({
      ok: true,
      warnings: [],
      tasks: [
        {
          name: 'HR',
          source: '\\\\fs01\\dept\\HR',
          destination: { url: SITE, library: 'Shared Docs', folder: 'a/b/c' },
          group: 'Default',
          settings: {},
        },
      ],
    })
  })

  it('parses a 5,000-row file quickly and keeps the order', () => {
    const lines = ['FileSharePath,,,SharePointSite,DocLibrary,DocSubFolder']
    for (let i = 0; i < 5000; i++) lines.push(`\\\\fs${i % 7}\\share\\dept${i},,,${SITE}${i % 3},Documents,"Team, ${i}"`)
    const text = lines.join('\r\n')
    const t0 = performance.now()
    const r = parseImport('big.csv', new TextEncoder().encode(text))
    const ms = performance.now() - t0
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.tasks).toHaveLength(5000)
    expect(r.tasks[4999]!.name).toBe('dept4999')
    expect(r.tasks[123]!.destination.folder).toBe('Team, 123')
    console.log(`5,000-row CSV import: ${ms.toFixed(0)} ms`)
    // a sanity bound, far above what it takes, only to catch a quadratic slip
    expect(ms).toBeLessThan(5000)
  })

  it('one bad row in the middle of 5,000 adds nothing and is named by its line', () => {
    const lines: string[] = []
    for (let i = 0; i < 5000; i++) lines.push(`\\\\fs01\\share\\dept${i},,,${SITE},Documents,`)
    lines[2500] = `\\\\fs01\\share\\dept2500,,,${SITE},,` // missing library, line 2501
    const r = parseImport('mid.csv', lines.join('\n'))
    expect(r).toEqual({ ok: false, errors: [expect.stringMatching(/^mid\.csv:2501: column E \(library\) is empty/)] })
  })

  it('refuses files over the size limit (generated, not committed)', () => {
    const row = `\\\\fs01\\share\\${'x'.repeat(200)},,,${SITE},Documents,\n`
    const big = new TextEncoder().encode(row.repeat(Math.ceil((MAX_IMPORT_BYTES + 1) / row.length)))
    const r = parseImport('huge.csv', big)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors).toEqual([expect.stringMatching(/^huge\.csv: the file is 50\.\d MB; import at most 50 MB/)])
  })

  it('refuses more than 50,000 tasks with a clear message', () => {
    const rows: string[] = []
    for (let i = 0; i < 50_001; i++) rows.push(`\\\\fs\\s\\${i},,,${SITE},Documents,`)
    const r = parseImport('many.csv', rows.join('\n'))
    expect(r).toEqual({ ok: false, errors: [expect.stringContaining('many.csv: the file holds 50001 tasks; import at most 50000')] })
  })
})

describe("a user's e-mail as the destination (their OneDrive)", () => {
  it('CSV column D and JSON TargetPath take it, lower case, library Documents', () => {
    const csv = parseImport('o.csv', '\\\\fs01\\home\\jdoe,,,JDoe@Contoso.com,Documents,\n')
    expect(csv.ok && csv.tasks[0]!.destination).toEqual({ url: 'jdoe@contoso.com', library: 'Documents', folder: null })
    const json = parseImport('o.json', JSON.stringify({ Tasks: [{ SourcePath: '\\\\fs01\\home\\ann', TargetPath: 'ann@contoso.com', TargetList: 'Documents' }] }))
    expect(json.ok && json.tasks[0]!.destination).toEqual({ url: 'ann@contoso.com', library: 'Documents', folder: null })
    const bad = parseImport('o.json', JSON.stringify({ Tasks: [{ SourcePath: '\\\\fs01\\home\\ann', TargetPath: 'ann@contoso.com', TargetList: 'My Files' }] }))
    expect(bad.ok).toBe(false)
  })
})

describe('JSON import', () => {
  it('reads Migration Manager keys, extensions and settings', () => {
    const doc = {
      Tasks: [
        {
          SourcePath: '\\\\contoso\\fileshare\\dept1',
          TargetPath: 'https://contoso.sharepoint.com',
          TargetList: 'Documents',
          TargetListRelativePath: 'dept1',
          Name: 'Dept 1',
          AgentGroup: 'eu',
          // PreserveUserPermissionsForFileShare is honoured (Migration Manager's "Preserve file share permissions"), not warned about
          Settings: { MigrateHiddenItems: false, MigrateItemsCreatedAfter: '2016-05-22', SkipFilesWithExtensions: 'TXT:.mp3', ScanOnly: 'true', PreserveUserPermissionsForFileShare: true },
        },
      ],
    }
    const r = parseImport('t.json', JSON.stringify(doc))
    expect(r).toEqual({
      ok: true,
      warnings: [],
      tasks: [
        {
          name: 'Dept 1',
          source: '\\\\contoso\\fileshare\\dept1',
          destination: { url: 'https://contoso.sharepoint.com', library: 'Documents', folder: 'dept1' },
          group: 'eu',
          settings: {
            MigrateHiddenItems: false,
            MigrateItemsCreatedAfter: '2016-05-22T00:00:00.000Z',
            SkipFilesWithExtensions: ['txt', 'mp3'],
            ScanOnly: true,
            PreserveUserPermissionsForFileShare: true,
          },
        },
      ],
    })
  })

  it('detects JSON by content when the name says nothing', () => {
    const r = parseImport('tasks.import', `  {"Tasks":[{"SourcePath":"/srv/a","TargetPath":"file:///tmp/x","TargetList":"L"}]}`)
    expect(r.ok && r.tasks[0]!.destination).toEqual({ url: 'file:///tmp/x', library: 'L', folder: null })
  })
})

describe('firstInvalidUtf8', () => {
  it('finds overlongs, surrogates and truncated sequences', () => {
    expect(firstInvalidUtf8(new TextEncoder().encode('añ€😀'))).toBe(-1)
    expect(firstInvalidUtf8(new Uint8Array([0x41, 0xc0, 0xaf]))).toBe(1) // overlong "/"
    expect(firstInvalidUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toBe(0) // surrogate
    expect(firstInvalidUtf8(new Uint8Array([0x41, 0xe2, 0x82]))).toBe(1) // truncated
    expect(firstInvalidUtf8(new Uint8Array([0xe9]))).toBe(0) // latin-1 é
  })
})

describe('a large CSV read a part at a time (an agent answers between parts)', () => {
  // 1,203 rows: quoted values with commas (and, when `quote`, doubled quotes) on both sides of the 500-row cuts
  const special = (i: number) => i % 250 === 0 || i % 500 === 499 || i % 500 === 1
  const row = (i: number, quote: boolean) =>
    special(i) ? `"\\\\fs01\\dept\\Smith, J. ${quote ? `""${i}""` : i}",,,${SITE},Documents,"f,${i}"` : `\\\\fs01\\dept\\p${i},,,${SITE},Documents,f${i}`
  const rows = Array.from({ length: 1203 }, (_, i) => row(i, false))

  it('gives every row, quoted ones included, as one parse of the whole file would', () => {
    const r = parseImport('big.csv', rows.join('\r\n'))
    expect(r.ok ? [] : r.errors).toEqual([])
    if (!r.ok) return
    expect(r.tasks).toHaveLength(1203)
    expect(r.tasks.map((t) => t.source)).toEqual(rows.map((_, i) => (special(i) ? `\\\\fs01\\dept\\Smith, J. ${i}` : `\\\\fs01\\dept\\p${i}`)))
    expect(r.tasks[1001]!.destination.folder).toBe('f,1001')
    expect(r.tasks[1202]!.destination.folder).toBe('f1202')
  })

  it('names the right line past the first part: doubled quotes, a bad row, a quote never closed', () => {
    // a quote is not allowed in a path: every row holding one is named, by its own line
    const quoted = parseImport('big.csv', Array.from({ length: 1203 }, (_, i) => row(i, true)).join('\n'))
    expect(quoted.ok ? [] : quoted.errors.map((e) => Number(e.split(':')[1]))).toEqual([1, 2, 251, 500, 501, 502, 751, 1000, 1001, 1002])
    const bad = [...rows]
    bad[1000] = `,,,${SITE},Documents,x`
    const r = parseImport('big.csv', bad.join('\n'))
    expect(r.ok ? [] : r.errors).toEqual([expect.stringMatching(/^big\.csv:1001: column A \(source path\) is empty/)])
    // an opening quote with no close takes in what follows, as one parse of the whole file does: in the
    // middle, up to the next quote (the row then has too many columns); in the last row, to the end
    const open = [...rows]
    open[700] = `"\\\\fs01\\never closed,,,${SITE},Documents,x`
    const o = parseImport('big.csv', open.join('\n'))
    expect(o.ok ? [] : o.errors).toEqual([expect.stringMatching(/^big\.csv:701: has 7 columns/)])
    const last = [...rows]
    last[1202] = `"\\\\fs01\\never closed,,,${SITE},Documents,x`
    const l = parseImport('big.csv', last.join('\n'))
    expect(l.ok ? [] : l.errors).toEqual([expect.stringMatching(/^big\.csv:1203: a quoted value is never closed/)])
  })
})
