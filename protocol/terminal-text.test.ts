import { describe, expect, it } from 'vitest'
import { terminalSafe, terminalSafeLines } from './terminal-text.ts'

describe('terminalSafe', () => {
  it('leaves ordinary text, Windows paths and non-Latin names as they are', () => {
    for (const s of ['report 2026.xlsx', '\\\\fs01\\dept\\finance', 'Überweisung – 請求書.pdf', '']) expect(terminalSafe(s)).toBe(s)
  })

  it('shows escape sequences, C1 controls, DEL and bidi overrides as visible escapes', () => {
    expect(terminalSafe('a\u001b[2J\u001b]0;pwned\u0007b')).toBe('a\\x1b[2J\\x1b]0;pwned\\x07b')
    expect(terminalSafe('x\u009b31my')).toBe('x\\x9b31my')
    expect(terminalSafe('line\nnext\rtab\t\u007f')).toBe('line\\x0anext\\x0dtab\\x09\\x7f')
    expect(terminalSafe('invoice\u202egnp.exe')).toBe('invoice\\u202egnp.exe')
  })

  it('leaves no control character in its output, whatever the input', () => {
    let all = ''
    for (let c = 0; c < 0x3000; c++) all += String.fromCharCode(c)
    // eslint-disable-next-line no-control-regex
    expect(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(terminalSafe(all))).toBe(false)
  })
})

describe('terminalSafeLines', () => {
  it('keeps line feeds and tabs of a multi-line message and escapes the rest, carriage returns too', () => {
    expect(terminalSafeLines('Access denied\nsecond\tline')).toBe('Access denied\nsecond\tline')
    expect(terminalSafeLines('ok\rhidden\u001b[8m')).toBe('ok\\x0dhidden\\x1b[8m')
  })
})
