/**
 * The CIFS attribute reader on real extended attributes: this machine has no CIFS client, but the
 * `user.cifs.*` names are plain user xattrs on ext4, set here with setfattr exactly as a CIFS mount
 * presents them (DOS attributes as a little-endian u32, creation time as a little-endian FILETIME).
 * Needs the `attr` package (getfattr/setfattr): skipped without it, a failure under .ci/run, which installs it.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { needTools } from '../../test/support/system-tools.ts'
import { isCifsMount, parseGetfattr, readCifsAttributes } from './scan-cifs.ts'

const attr = needTools(['setfattr', 'getfattr'], 'sets and reads user.cifs.* extended attributes')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-cifs-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const FILETIME_EPOCH_DIFF = 116444736000000000n
const filetime = (ms: number) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(ms) * 10000n + FILETIME_EPOCH_DIFF)
  return `0x${b.toString('hex')}`
}
const dosattrib = (attrs: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(attrs)
  return `0x${b.toString('hex')}`
}
const setx = (file: string, name: string, value: string) => execFileSync('setfattr', ['-n', name, '-v', value, file])

describe('CIFS attributes', () => {
  it.skipIf(attr.skip)('reads hidden and creation time from user.cifs.* of each file, names with spaces, unicode and backslashes included', async () => {
    const created = Date.UTC(2019, 4, 17, 8, 30, 12, 345)
    const names = ['plain.docx', 'ünï cødé 📁.txt', 'back\\slash.txt', 'line\nbreak.txt', 'none.txt']
    const files = names.map((n) => path.join(dir, n))
    for (const f of files) fs.writeFileSync(f, 'x')
    setx(files[0]!, 'user.cifs.dosattrib', dosattrib(0x20)) // archive: not hidden
    setx(files[0]!, 'user.cifs.creationtime', filetime(created))
    for (const f of files.slice(1, 4)) {
      setx(f, 'user.cifs.dosattrib', dosattrib(0x22)) // hidden + archive
      setx(f, 'user.cifs.creationtime', filetime(created + 1000))
    }
    const got = await readCifsAttributes(files)
    expect(got.get(files[0]!)).toEqual({ hidden: false, creationTimeMs: created })
    for (const f of files.slice(1, 4)) expect(got.get(f), JSON.stringify(f)).toEqual({ hidden: true, creationTimeMs: created + 1000 })
    expect(got.get(files[4]!)).toEqual({ hidden: false, creationTimeMs: null })
  })

  it('parses getfattr output and tells a local disk from a CIFS mount', async () => {
    expect(parseGetfattr('# file: /a/b\\134c\nuser.cifs.dosattrib=0x02000000\n\n').get('/a/b\\c')).toEqual(Buffer.from([2, 0, 0, 0]))
    expect(await isCifsMount(dir)).toBe(false)
  })
})
