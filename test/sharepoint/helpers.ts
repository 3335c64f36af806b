/** Shared set-up for the SharePoint tests: an emulator, its CA trusted in this process, app credentials. */
import { mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { startSpEmulator, type SpEmulator, type SpEmulatorOptions, type AppCredentials } from '../fixtures/sp-emulator/index.ts'
import { trustCaInThisProcess } from '../fixtures/sp-emulator/trust.ts'
import { inspectCertificatePem, type Credentials } from '../../agent/auth/credentials.ts'
import { createCertificateTokenProvider, type TokenProvider } from '../../agent/auth/token-provider.ts'
import { createSharePointDestination, type SharePointDestinationOptions } from '../../agent/destinations/sharepoint/index.ts'
import type { SourceFile } from '../../agent/engine/destination.ts'

export interface Harness {
  dir: string
  emu: SpEmulator
  app: AppCredentials
  creds: Credentials
  tokens: TokenProvider
  destination(o?: Partial<SharePointDestinationOptions>): ReturnType<typeof createSharePointDestination>
  stop(): Promise<void>
}

export function credentialsFor(emu: SpEmulator, app: AppCredentials): Credentials {
  return {
    ...inspectCertificatePem(app.cert.pem, 'test.pem'),
    tenantId: app.tenantId, clientId: app.clientId, authority: emu.authority, certFile: 'test.pem',
  }
}

export async function startHarness(opts: Partial<SpEmulatorOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mmesh-sp-'))
  const emu = await startSpEmulator({ dir: path.join(dir, 'emu'), ...opts })
  await trustCaInThisProcess(emu.caPem)
  const app = emu.issueAppCredentials()
  const creds = credentialsFor(emu, app)
  const tokens = createCertificateTokenProvider(creds)
  return {
    dir, emu, app, creds, tokens,
    destination: (o = {}) => createSharePointDestination({ siteUrl: emu.sites.dev, library: 'Documents', tokenProvider: tokens, version: '0.1.0', ...o }),
    async stop() {
      await emu.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export interface GenFile {
  rel: string
  bytes: Buffer
  mtimeMs: number
  birthtimeMs: number
}

/** A small share: nested folders, a few sizes, times in the past at whole seconds. */
export async function makeShare(root: string, count: number, opts: { size?: (i: number) => number; folders?: number } = {}): Promise<GenFile[]> {
  const out: GenFile[] = []
  const folders = opts.folders ?? 3
  for (let i = 0; i < count; i++) {
    const sub = i % folders === 0 ? '' : `dir${i % folders}/sub${i % 2}`
    const rel = sub ? `${sub}/file-${i}.bin` : `file-${i}.bin`
    const bytes = randomBytes(opts.size ? opts.size(i) : 100 + ((i * 7919) % 5000))
    const mtimeMs = Date.UTC(2023, i % 12, 1 + (i % 27), 10 + (i % 12), i % 60, (i * 7) % 60)
    const birthtimeMs = mtimeMs - 86_400_000 * (1 + (i % 30))
    await mkdir(path.join(root, path.dirname(rel)), { recursive: true })
    await writeFile(path.join(root, rel), bytes)
    await utimes(path.join(root, rel), mtimeMs / 1000, mtimeMs / 1000)
    out.push({ rel, bytes, mtimeMs, birthtimeMs })
  }
  return out
}

export function sourceOf(root: string, f: GenFile, owner: string | null = null): SourceFile {
  return { localPath: path.join(root, f.rel), size: f.bytes.length, mtimeMs: f.mtimeMs, birthtimeMs: f.birthtimeMs, owner }
}

/** Drives a destination directly the way the engine does: folders top-down, then files. */
export async function pushShare(
  dest: ReturnType<typeof createSharePointDestination>, root: string, files: GenFile[], concurrency = 8, signal = AbortSignal.timeout(600_000),
): Promise<{ failed: { rel: string; err: unknown }[] }> {
  const folders = [...new Set(files.map((f) => path.posix.dirname(f.rel)).filter((d) => d !== '.'))].sort()
  for (const d of folders) await dest.ensureFolder(d, signal)
  const failed: { rel: string; err: unknown }[] = []
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < files.length) {
      const f = files[next++]!
      try {
        await dest.putFile(f.rel, sourceOf(root, f), { signal, overwrite: false })
      } catch (err) {
        failed.push({ rel: f.rel, err })
      }
    }
  }))
  return { failed }
}

/**
 * A share shaped like a department's: `files` small files spread over a three-level tree of 5 top
 * folders, 4 below each and 4–5 below those (115 folders for the defaults), a few at each level.
 */
export async function makeTree(root: string, files = 200): Promise<{ files: GenFile[]; folders: number }> {
  const leaves: string[] = []
  const all = new Set<string>()
  for (let t = 0; t < 5; t++) {
    for (let m = 0; m < 4; m++) {
      const mid = `dept-${t}/team-${m}`
      all.add(`dept-${t}`)
      all.add(mid)
      for (let l = 0; l < (t * 4 + m < 10 ? 5 : 4); l++) {
        leaves.push(`${mid}/project ${l}`)
        all.add(`${mid}/project ${l}`)
      }
    }
  }
  const dirs = [...all]
  for (const d of dirs) await mkdir(path.join(root, d), { recursive: true })
  const out: GenFile[] = []
  for (let i = 0; i < files; i++) {
    // most files in the leaves, every tenth one level or two up
    const dir = i % 10 === 0 ? dirs[i % dirs.length]! : leaves[i % leaves.length]!
    const rel = `${dir}/file-${i}.${i % 17 === 0 ? 'docx' : 'bin'}`
    const bytes = randomBytes(64 + ((i * 7919) % 2000))
    const mtimeMs = Date.UTC(2024, i % 12, 1 + (i % 27), 9, i % 60, (i * 13) % 60)
    await mkdir(path.join(root, dir), { recursive: true })
    await writeFile(path.join(root, rel), bytes)
    await utimes(path.join(root, rel), mtimeMs / 1000, mtimeMs / 1000)
    out.push({ rel, bytes, mtimeMs, birthtimeMs: mtimeMs - 86_400_000 })
  }
  return { files: out, folders: dirs.length }
}
