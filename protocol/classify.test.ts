import { describe, expect, it } from 'vitest'
import { checkFileSize, checkName, checkPathLength, collisionKey, compareForCollision, extensionOf, MAX_FILE_BYTES } from './classify.ts'

const file = { isFolder: false, atRoot: false, replaceInvalidChars: true }

describe('checkName', () => {
  it.each(['"', '*', ':', '<', '>', '?', '/', '\\', '|'])('replaces %s with _ when the setting is on', (ch) => {
    const r = checkName(`a${ch}b.txt`, file)
    expect(r).toMatchObject({ ok: true, destName: 'a_b.txt', renamed: true })
  })
  it.each(['"', '*', ':', '<', '>', '?', '\\', '|'])('refuses %s with 0x01110010 when the setting is off', (ch) => {
    const r = checkName(`a${ch}b.txt`, { ...file, replaceInvalidChars: false })
    expect(r).toMatchObject({ ok: false, errorCode: '0x01110010', category: 'Invalid name' })
  })
  it('trims leading and trailing spaces, or refuses them', () => {
    expect(checkName('  lead.txt', file)).toMatchObject({ ok: true, destName: 'lead.txt', renamed: true })
    expect(checkName('trail.txt ', file)).toMatchObject({ ok: true, destName: 'trail.txt', renamed: true })
    expect(checkName('trail.txt ', { ...file, replaceInvalidChars: false }).ok).toBe(false)
    expect(checkName('in side.txt', { ...file, replaceInvalidChars: false })).toMatchObject({ ok: true, renamed: false })
  })
  it.each(['CON', 'prn.txt', 'Aux', 'nul.tar.gz', 'COM0', 'com9.log', 'LPT1', 'lpt0.doc', '.lock', 'Desktop.ini', '~$report.docx', 'a_vti_b', '_VTI_cnf'])(
    'refuses the reserved name %s',
    (name) => {
      expect(checkName(name, file)).toMatchObject({ ok: false, category: 'Reserved name' })
    },
  )
  it('keeps names that only look reserved', () => {
    for (const name of ['CONSOLE.txt', 'com10', 'lpt', 'x.lock', 'desktop.ini.bak', 'a~$b', 'forms']) {
      expect(checkName(name, file), name).toMatchObject({ ok: true, renamed: false })
    }
  })
  it('refuses forms only as a root-level folder', () => {
    expect(checkName('Forms', { isFolder: true, atRoot: true, replaceInvalidChars: true }).ok).toBe(false)
    expect(checkName('Forms', { isFolder: true, atRoot: false, replaceInvalidChars: true }).ok).toBe(true)
    expect(checkName('forms', { isFolder: false, atRoot: true, replaceInvalidChars: true }).ok).toBe(true)
  })
  it('checks the reserved list after replacement', () => {
    expect(checkName(' CON ', file).ok).toBe(false)
    expect(checkName('???', file)).toMatchObject({ ok: true, destName: '___' })
    expect(checkName('   ', file).ok).toBe(false)
  })
})

describe('limits', () => {
  it('allows 400 characters and refuses 401', () => {
    expect(checkPathLength('x'.repeat(400)).ok).toBe(true)
    expect(checkPathLength('x'.repeat(401))).toMatchObject({ ok: false, errorCode: '0x0111000B' })
  })
  it('allows 250 GB and refuses one byte more', () => {
    expect(checkFileSize(250 * 1024 ** 3).ok).toBe(true)
    expect(checkFileSize(MAX_FILE_BYTES + 1).ok).toBe(false)
  })
})

describe('collisions', () => {
  it('gives case and normalisation variants one key', () => {
    expect(collisionKey('Report.docx')).toBe(collisionKey('report.docx'))
    expect(collisionKey('caf\u00e9')).toBe(collisionKey('cafe\u0301'))
    expect(collisionKey('a_b')).not.toBe(collisionKey('a_c'))
  })
  it('orders names that keep their spelling before renamed ones', () => {
    const list = [
      { name: 'a:b', renamed: true },
      { name: 'a_b', renamed: false },
      { name: 'Report.docx', renamed: false },
      { name: 'report.docx', renamed: false },
    ].sort(compareForCollision)
    expect(list.map((x) => x.name)).toEqual(['Report.docx', 'a_b', 'report.docx', 'a:b'])
  })
  it('takes the last extension, lower-case', () => {
    expect(extensionOf('a.tar.GZ')).toBe('gz')
    expect(extensionOf('.bashrc')).toBe('')
    expect(extensionOf('noext')).toBe('')
    expect(extensionOf('dot.')).toBe('')
  })
})
