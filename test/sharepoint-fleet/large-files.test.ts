/**
 * Issue 17 "Large files" with a real agent process: large files (over the 10 MiB chunk) go through upload
 * sessions while the emulator drops a quarter of the session requests (cut mid-body, reset after taken,
 * 503, mixed) and stores one finished session with a byte changed. Every other file lands whole, no
 * session is restarted, the bytes received stay under 1.3x the share, and the corrupted one is the
 * task's one failed item, with its reason in ItemFailureReport.csv.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { parse } from 'csv-parse/sync'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { startSpEmulator, type SpEmulator } from '../fixtures/sp-emulator/index.ts'
import { listTasks } from '../leases/lease-harness.ts'

const MIB = 1024 * 1024
let emu: SpEmulator
let fleet: Fleet
let agent: AgentProc
let emuDir: string

beforeAll(async () => {
  emuDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-splarge-'))
  emu = await startSpEmulator({ dir: path.join(emuDir, 'emu'), seed: 7 })
  fleet = await createFleet({ env: { NODE_EXTRA_CA_CERTS: emu.caFile } })
  const app = emu.issueAppCredentials()
  const pem = path.join(emuDir, 'app.pem')
  fs.writeFileSync(pem, app.cert.pem)
  const dir = fleet.tempDir('large')
  const set = await fleet.run(['auth', 'set', '--tenant', app.tenantId, '--client-id', app.clientId, '--cert', pem, '--authority', emu.authority], dir)
  expect(set.exitCode, set.stderr).toBe(0)
  agent = await fleet.start('large', { dir, args: ['--capacity', '1'] })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
  await emu?.stop()
  fs.rmSync(emuDir, { recursive: true, force: true })
})

describe('large files through a real agent', () => {
  it('dropped session requests are resumed, not restarted; a corrupted commit is the one failed item, with its reason', { timeout: 300_000 }, async () => {
    const root = path.join(fleet.tempDir('src'), 'share')
    fs.mkdirSync(root, { recursive: true })
    const files = [0, 1, 2, 3].map((i) => ({ name: `large-${i}.bin`, bytes: randomBytes(21 * MIB + i * 1000) }))
    for (const f of files) fs.writeFileSync(path.join(root, f.name), f.bytes)
    const total = files.reduce((n, f) => n + f.bytes.length, 0)
    emu.setFaults({ dropRate: 0.25, dropMode: 'mixed', corruptNext: 1, only: ['startUpload', 'continueUpload', 'finishUpload'] })
    const add = await fleet.run(['task', 'add', '--source', root, '--dest', emu.sites.dev, '--library', 'Documents', '--folder', 'Large'], agent)
    expect(add.exitCode, add.stderr).toBe(0)
    const id = add.stdout.trim()
    const t = await waitFor(async () => {
      const x = (await listTasks(fleet, agent)).find((y) => y.id === id)
      return x && (x.status === 'completed' || x.status === 'failed') ? x : null
    }, { timeoutMs: 240_000, intervalMs: 500, message: `task ${id} to end` })
    emu.setFaults({})
    expect(t.status).toBe('completed')
    expect(emu.stats.corrupted).toBe(1)
    expect(emu.stats.dropped).toBeGreaterThan(0)
    expect(t.counts.failed).toBe(1)
    expect(t.counts.migrated).toBe(files.length - 1)
    // one session per file: no file restarted for a dropped chunk, and the corrupted one not retried in the round
    expect(emu.stats.uploadSessions).toBe(files.length)
    expect(emu.stats.uploadBodyBytes).toBeLessThanOrEqual(1.3 * total)
    let whole = 0
    for (const f of files) {
      const got = await emu.readFile(`/sites/dev/Shared Documents/Large/${f.name}`)
      if (got) {
        expect(got.equals(f.bytes), f.name).toBe(true)
        whole++
      }
    }
    expect(whole).toBe(files.length - 1)

    const out = fleet.tempDir('report')
    const rep = await fleet.run(['report', '--out', out, '--task', id], agent, { timeoutMs: 120_000 })
    expect(rep.exitCode, rep.stderr).toBe(0)
    const failures = parse(fs.readFileSync(path.join(out, id, 'ItemFailureReport.csv'), 'utf8'), { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[]
    expect(failures).toHaveLength(1)
    expect(failures[0]!['Error code']).toBe('DEST_HASH_MISMATCH')
    expect(failures[0]!.Message).toMatch(/other content .*QuickXorHash/)
  })
})
