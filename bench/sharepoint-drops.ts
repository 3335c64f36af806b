/**
 * bench/sharepoint --drops (section 5, issue 17 "Large files"): one task of large files through upload
 * sessions while a share of the requests with a body are dropped (mixed: cut mid-body, reset after the
 * server took them, 503 with nothing kept). The figure is what the emulator received of file content
 * (stats.uploadBodyBytes, dropped requests included) over the share's size: target <= 1.3. Also: upload
 * sessions started (one per file = no file restarted) and items failed. In this process, like section 4.
 *
 *   --drop-files 12  --drop-mib 24  --drop-chunk-kib 1280 (a multiple of 320)  --drop-rate 0.03
 */
import { randomBytes } from 'node:crypto'
import { mkdir, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Level } from 'level'
import pLimit from 'p-limit'
import type { SpEmulator } from '../test/fixtures/sp-emulator/index.ts'
import { loadCredentials } from '../agent/auth/credentials.ts'
import { createCertificateTokenProvider } from '../agent/auth/token-provider.ts'
import { createSharePointDestination } from '../agent/destinations/sharepoint/index.ts'
import { runTaskRound } from '../agent/engine/round.ts'
import { createItemStore } from '../agent/items/store.ts'
import type { EngineJob } from '../agent/engine/types.ts'

export interface DropsArgs {
  emu: SpEmulator
  base: string
  latency: number
  num: (name: string, def: number) => number
  job: (root: string, taskId: string) => EngineJob
  out: (s: string) => void
  jsonRows: Array<{ target: string; measured: string; goal: string; ok: boolean }>
}

export async function dropsSection(a: DropsArgs): Promise<void> {
  const { emu, out } = a
  const files = a.num('drop-files', 12)
  const mib = a.num('drop-mib', 24)
  const chunkKib = a.num('drop-chunk-kib', 1280)
  const rate = a.num('drop-rate', 0.03)
  const root = path.join(a.base, 'drops')
  await mkdir(root, { recursive: true })
  for (let i = 0; i < files; i++) {
    // sizes differ a little, so the last chunk of each file is a short one
    const p = path.join(root, `large-${i}.bin`)
    await writeFile(p, randomBytes(mib * 1024 * 1024 + i * 4099))
    await utimes(p, 1_600_000_000 + i, 1_600_000_000 + i)
  }
  const total = files * mib * 1024 * 1024 + (files * (files - 1) / 2) * 4099
  const tokens = createCertificateTokenProvider((await loadCredentials(undefined))!)
  const db = new Level<string, string>(path.join(a.base, 'db-drops'))
  await db.open()
  try {
    const dest = createSharePointDestination({ siteUrl: emu.sites.dev, library: 'Documents', folder: 'drops', tokenProvider: tokens, version: 'bench', chunkSize: chunkKib * 1024 })
    await dest.open(AbortSignal.timeout(120_000))
    const s0 = { ...emu.stats, byKind: { ...emu.stats.byKind } }
    emu.setFaults({ latencyMs: a.latency, dropRate: rate, dropMode: 'mixed' })
    const t0 = performance.now()
    const r = await runTaskRound({ ...a.job(root, 't-drops'), round: 0 }, {
      destination: dest, items: createItemStore(db), limiter: pLimit(4), leaseHeld: () => true, onProgress: () => {}, onCheckpoint: () => {},
      signal: AbortSignal.timeout(3_600_000), clock: () => Date.now(), sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    })
    const secs = (performance.now() - t0) / 1000
    const s = emu.stats
    const received = s.uploadBodyBytes - s0.uploadBodyBytes
    const sessions = s.uploadSessions - s0.uploadSessions
    const kind = (k: keyof typeof s.byKind) => (s.byKind[k] ?? 0) - (s0.byKind[k] ?? 0)
    const chunkCalls = kind('startUpload') + kind('continueUpload') + kind('finishUpload')
    const ratio = received / total
    out(`\n5. ${files} files of ${mib} MiB (${(total / 2 ** 20).toFixed(1)} MiB), chunks of ${chunkKib} KiB, ${a.latency} ms latency, ${(rate * 100).toFixed(1)}% of requests with a body dropped (cut mid-body / reset after taken / 503, mixed)`)
    out(`   ${r.counts.migrated} migrated, ${r.counts.failed} failed in ${secs.toFixed(1)} s; ${s.dropped - s0.dropped} requests dropped, ${chunkCalls} chunk requests, ${kind('uploadStatus')} session status queries`)
    out(`   bytes received by the emulator ${(received / 2 ** 20).toFixed(1)} MiB = ${ratio.toFixed(3)}x the share (target <= 1.3); upload sessions ${sessions} for ${files} files (restarted: ${sessions - files})`)
    a.jsonRows.push({
      target: `SharePoint: large files with ${(rate * 100).toFixed(0)}% of requests dropped (emulator)`,
      measured: `${ratio.toFixed(3)}x the share's bytes sent, ${sessions - files} files restarted, ${r.counts.failed} failed`,
      goal: '<= 1.3x, no restarts',
      ok: ratio <= 1.3 && r.counts.failed === 0,
    })
  } finally {
    emu.setFaults({ latencyMs: a.latency })
    await db.close()
  }
}
