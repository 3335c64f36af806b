/**
 * Issue 16, `task migrate` (Migration Manager's "Copy to migrations"), with real agents over the CLI: a
 * scan-only task copies nothing; its migration has the same source, destination, settings and tags and
 * copies the share; a migration cannot be migrated again, nor a scan twice.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleet, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { makeShare } from '../leases/lease-harness.ts'

let fleet: Fleet
let a: AgentProc
let b: AgentProc

beforeAll(async () => {
  fleet = await createFleet()
  a = await fleet.start('ma')
  b = await fleet.start('mb', { peers: [a] })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
})

describe('task migrate', () => {
  it('makes a migration of a scan-only task, with its settings and tags, and refuses what is not one', async () => {
    const src = fleet.tempDir('src')
    const dst = fleet.tempDir('dst')
    const share = makeShare(src, 'scanme', 4)
    const add = await fleet.run(['task', 'add', '--source', share, '--dest', `file://${dst}`, '--folder', 'm', '--scan-only', '--skip-ext', 'tmp', '--tag', 'Wave 3'], a)
    expect(add.exitCode, add.stderr).toBe(0)
    const scan = add.stdout.trim()
    expect((await fleet.run(['task', 'wait', scan, '--timeout', '60'], a)).exitCode).toBe(0)
    expect(fs.existsSync(path.join(dst, 'm'))).toBe(false) // a scan copies nothing

    const mig = await fleet.run(['task', 'migrate', scan.slice(0, 8)], b)
    expect(mig.exitCode, mig.stderr).toBe(0)
    const id = mig.stdout.trim()
    expect(id).not.toBe(scan)
    expect((await fleet.run(['task', 'wait', id, '--timeout', '60'], b)).exitCode).toBe(0)
    const v = await fleet.call<{ source: string; destination: { folder: string }; settings: { ScanOnly: boolean; SkipFilesWithExtensions: string[] }; tags: string[]; counts: { migrated: number } }>(a, 'task.show', { id })
    expect(v.source).toBe(share)
    expect(v.destination.folder).toBe('m')
    expect(v.settings.ScanOnly).toBe(false)
    expect(v.settings.SkipFilesWithExtensions).toEqual(['tmp'])
    expect(v.tags).toEqual(['Wave 3'])
    expect(v.counts.migrated).toBeGreaterThan(0)
    expect(fs.readFileSync(path.join(dst, 'm', 'f0.txt'), 'utf8')).toBe('scanme file 0\n')

    const again = await fleet.run(['task', 'migrate', scan], a)
    expect(again.exitCode).toBe(1)
    expect(again.stderr).toContain(`a migration of task ${scan}'s source and destination exists already (${id})`)
    const notScan = await fleet.run(['task', 'migrate', id], a)
    expect(notScan.exitCode).toBe(1)
    expect(notScan.stderr).toContain(`task ${id} is a migration already`)
  }, 120_000)
})
