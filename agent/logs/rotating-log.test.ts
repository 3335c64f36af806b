import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RotatingLog, logFile } from './rotating-log.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

describe('RotatingLog', () => {
  it('rotates by size, keeps N files, drops the oldest, and never splits a line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-log-'))
    dirs.push(dir)
    const log = new RotatingLog(path.join(dir, 'logs'), { maxBytes: 100, keep: 2 })
    for (let i = 0; i < 20; i++) log.write(`{"n":${String(i).padStart(2, '0')},"msg":"${'x'.repeat(20)}"}\n`) // 39 bytes a line
    log.close()
    const read = (n: number) => fs.readFileSync(logFile(path.join(dir, 'logs'), n), 'utf8')
    expect(read(0).split('\n').filter(Boolean).map((l) => JSON.parse(l).n)).toEqual([18, 19])
    expect(read(1).split('\n').filter(Boolean).map((l) => JSON.parse(l).n)).toEqual([16, 17])
    expect(read(2).split('\n').filter(Boolean).map((l) => JSON.parse(l).n)).toEqual([14, 15])
    expect(fs.existsSync(logFile(path.join(dir, 'logs'), 3))).toBe(false)
    for (const n of [0, 1, 2]) expect(fs.statSync(logFile(path.join(dir, 'logs'), n)).size).toBeLessThanOrEqual(100)
    expect(fs.statSync(logFile(path.join(dir, 'logs'))).mode & 0o777).toBe(0o600)
  })

  it('appends to the file a previous run left, and refuses to follow a link at its name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-log-'))
    dirs.push(dir)
    const logs = path.join(dir, 'logs')
    fs.mkdirSync(logs)
    fs.writeFileSync(logFile(logs), '{"old":1}\n')
    const log = new RotatingLog(logs)
    log.write('{"new":1}\n')
    log.close()
    expect(fs.readFileSync(logFile(logs), 'utf8')).toBe('{"old":1}\n{"new":1}\n')
    const other = path.join(dir, 'elsewhere')
    fs.writeFileSync(other, '')
    fs.rmSync(logFile(logs))
    fs.symlinkSync(other, logFile(logs))
    expect(() => new RotatingLog(logs)).toThrow(/ELOOP/)
  })
})
