/**
 * Issue 17's destination check with a real agent and SharePoint (the local emulator, real @pnp/sp and
 * msal-node): a scan-only task reaches the library, writes and deletes a test file, creates nothing, and
 * measures paths with the library's URL; a scan-only task to a site that refuses the app ends with
 * readiness Errors saying why, instead of failing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createFleet, waitFor, type AgentProc, type Fleet } from '../fixtures/fleet.ts'
import { startSpEmulator, type SpEmulator } from '../fixtures/sp-emulator/index.ts'
import { listTasks, makeShare } from '../leases/lease-harness.ts'
import type { Assessment } from '../../protocol/assessment.ts'

let emu: SpEmulator
let fleet: Fleet
let agent: AgentProc
let emuDir: string

beforeAll(async () => {
  emuDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmesh-spscan-'))
  emu = await startSpEmulator({ dir: path.join(emuDir, 'emu') })
  fleet = await createFleet({ env: { NODE_EXTRA_CA_CERTS: emu.caFile } })
  const app = emu.issueAppCredentials()
  const pem = path.join(emuDir, 'app.pem')
  fs.writeFileSync(pem, app.cert.pem)
  const dir = fleet.tempDir('sp')
  const set = await fleet.run(['auth', 'set', '--tenant', app.tenantId, '--client-id', app.clientId, '--cert', pem, '--authority', emu.authority], dir)
  expect(set.exitCode, set.stderr).toBe(0)
  agent = await fleet.start('sp', { dir })
}, 120_000)

afterAll(async () => {
  await fleet?.cleanup()
  await emu?.stop()
  fs.rmSync(emuDir, { recursive: true, force: true })
})

describe('a scan-only task to SharePoint', () => {
  it('checks the destination without leaving anything, and says why when the site refuses the app', async () => {
    const share = makeShare(fleet.tempDir('src'), 'dept', 6)
    const add = async (dest: string) => {
      const r = await fleet.run(['task', 'add', '--source', share, '--dest', dest, '--folder', 'Scan/Here', '--scan-only'], agent)
      expect(r.exitCode, r.stderr).toBe(0)
      return r.stdout.trim()
    }
    const ok = await add(emu.sites.dev)
    const refused = await add(emu.sites.noAccess)
    await waitFor(async () => {
      const t = (await listTasks(fleet, agent)).filter((x) => x.id === ok || x.id === refused)
      return t.length === 2 && t.every((x) => x.status === 'completed') ? t : null
    }, { timeoutMs: 120_000, intervalMs: 500, message: 'both scans to end' })
    const show = async (id: string) => (JSON.parse((await fleet.run(['task', 'show', id, '--json'], agent)).stdout) as { assessment: Assessment }).assessment

    const origin = new URL(emu.sites.dev).origin
    const a = await show(ok)
    const longest = `${origin}/sites/dev/Shared Documents/Scan/Here/sub/f1.txt`
    expect(a).toMatchObject({
      files: 6, folders: 1, readiness: 'Ready', maxPath: longest, maxPathLength: longest.length,
      destinationCheck: { ok: true, message: `wrote and deleted a test file in ${origin}/sites/dev/Shared Documents` },
    })
    expect(emu.meta('/sites/dev/Shared Documents/Scan')).toBeUndefined()
    expect(emu.stats.byKind.upload).toBe(1)
    expect(emu.stats.byKind.delete).toBe(1)

    const b = await show(refused)
    expect(b).toMatchObject({ files: 6, readiness: 'Errors', destinationCheck: { ok: false } })
    expect(b.readinessReason).toMatch(/^destination check failed: app .* has no access to .*\/sites\/noaccess \(Access denied\.\)/)
  }, 200_000)
})
