import { describe, expect, it } from 'vitest'
import { parseTagsCsv, tagsCsvRecords } from './tags-csv.ts'

describe("Migration Manager's tags CSV", () => {
  it('writes Task ID, Source Name, Source Path, Tags with ; between tags, and reads the tags back by id', () => {
    const recs = tagsCsvRecords([{ id: 't1', name: 'HR', source: '\\\\fs\\hr', tags: ['Wave 1', 'HR'] }])
    expect(recs).toEqual([['Task ID', 'Source Name', 'Source Path', 'Tags'], ['t1', 'HR', '\\\\fs\\hr', 'Wave 1;HR']])
    const text = '\uFEFFTask ID,Source Name,Source Path,Tags\r\nt1,HR,"\\\\fs\\hr","Wave 2; HR"\r\nt2,Fin,/srv/fin,\r\n'
    expect(parseTagsCsv('tags.csv', text)).toEqual({ ok: true, rows: [{ line: 2, id: 't1', tags: ['Wave 2', 'HR'] }, { line: 3, id: 't2', tags: [] }] })
  })
  it('names every bad row by its line, and needs the header', () => {
    const text = 'Task ID,Source Name,Source Path,Tags\n,x,y,a\nt1,x,y,"bad\u0007tag"\nt2,x,y,a\nt2,x,y,b\n'
    const r = parseTagsCsv('t.csv', text)
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.errors).toEqual([
        't.csv:2: Task ID is empty; every row names its task',
        expect.stringMatching(/^t\.csv:3: Tags: tag .* contains a control character/),
        't.csv:5: task t2 is on line 4 already; keep one row per task',
      ])
    }
    expect(parseTagsCsv('t.csv', 't1,x,y,a\n')).toMatchObject({ ok: false, errors: [expect.stringMatching(/t\.csv:1: expected a header with the columns Task ID, Source Name, Source Path, Tags/)] })
  })
})
