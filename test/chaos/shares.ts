/**
 * The shares a chaos run migrates and what must be at the destination afterwards. Files are plain
 * (valid names, not hidden) so every one of them must land: the expected content is simply the source's
 * bytes, or, for a destination file the harness edited (newer than its source), the harness's edit.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Rng } from './rng.ts'

/** Source times are whole seconds in the past, so a destination edit (now) is always newer. */
export const SOURCE_MTIME = new Date('2024-05-01T10:00:00Z')
const FOLDER_SIZE = 100

export interface ShareFile {
  task: number
  /** path relative to the share root and to the destination root, `/` separated */
  rel: string
  size: number
}

export interface Share {
  index: number
  src: string
  /** file:// destinations: the folder; SharePoint: unused (files are read back from the emulator) */
  dest: string
  /** SharePoint destinations: the folder's server-relative URL on the emulator */
  spFolder: string | null
  files: ShareFile[]
}

/** Reads a destination file back: the folder for file://, the emulator for SharePoint. */
export type DestReader = (share: Share, rel: string) => Promise<Buffer | null>

/**
 * `count` shares holding `files` files in all (spread evenly), in folders of 100, sizes 0 B – 6 KB
 * and one file of 1–2 MB per share (the streamed large-file path).
 */
export function makeShares(rng: Rng, srcRoot: string, destRoot: string, count: number, files: number, spFolderOf: (i: number) => string | null = () => null): Share[] {
  const shares: Share[] = []
  for (let s = 0; s < count; s++) {
    const n = Math.floor(files / count) + (s < files % count ? 1 : 0)
    const share: Share = { index: s, src: path.join(srcRoot, `share-${s}`), dest: path.join(destRoot, `task-${s}`), spFolder: spFolderOf(s), files: [] }
    for (let i = 0; i < n; i++) {
      const big = i === 0 && n > 1
      const rel = big ? 'big/large.bin' : `d${Math.floor(i / FOLDER_SIZE)}/f${i}.${rng.pick(['txt', 'bin', 'dat', 'csv'])}`
      const size = big ? rng.int(1 << 20, 2 << 20) : rng.int(0, 6000)
      const abs = path.join(share.src, rel)
      fs.mkdirSync(path.dirname(abs), { recursive: true })
      fs.writeFileSync(abs, rng.bytes(size))
      fs.utimesSync(abs, SOURCE_MTIME, SOURCE_MTIME)
      share.files.push({ task: s, rel, size })
    }
    fs.mkdirSync(share.dest, { recursive: true })
    shares.push(share)
  }
  return shares
}

export const fileKey = (f: Pick<ShareFile, 'task' | 'rel'>) => `${f.task}:${f.rel}`

export function sha(buf: Buffer): string {
  return crypto.createHash('sha1').update(buf).digest('hex')
}

function readOrNull(p: string): Buffer | null {
  try {
    return fs.readFileSync(p)
  } catch {
    return null
  }
}

/** Edits a source file (new content, mtime now): a later round legitimately copies it again. */
export function editSource(rng: Rng, share: Share, f: ShareFile): void {
  const abs = path.join(share.src, f.rel)
  const data = Buffer.concat([Buffer.from(`edited source ${fileKey(f)}\n`), rng.bytes(rng.int(10, 3000))])
  fs.writeFileSync(abs, data)
  f.size = data.length
}

/**
 * Edits a file already at the destination (identical to its source): the edit is newer than the source,
 * so nothing may replace it. Returns the edit's content, or null when the file is not there yet.
 */
export function editDestination(share: Share, f: ShareFile, seed: number): Buffer | null {
  const abs = path.join(share.dest, f.rel)
  const src = readOrNull(path.join(share.src, f.rel))
  const dst = readOrNull(abs)
  if (!src || !dst || !src.equals(dst)) return null
  const data = Buffer.from(`edited at the destination by chaos seed ${seed}: ${fileKey(f)} ${Date.now()}\n`)
  // In place and with a fresh mtime: what a user saving over the migrated copy does.
  fs.writeFileSync(abs, data)
  const now = new Date()
  fs.utimesSync(abs, now, now)
  return data
}

export interface LandingFigures {
  expected: number
  identical: number
  missing: string[]
  differ: string[]
  editsKept: number
  editsLost: string[]
}

export const readFolder: DestReader = async (share, rel) => readOrNull(path.join(share.dest, rel))

/** Every file is at its destination, byte-identical to its source, except the edited ones, which keep the edit. */
export async function checkLanding(shares: Share[], destEdits: Map<string, Buffer>, read: DestReader): Promise<LandingFigures> {
  const out: LandingFigures = { expected: 0, identical: 0, missing: [], differ: [], editsKept: 0, editsLost: [] }
  for (const share of shares) {
    for (const f of share.files) {
      out.expected++
      const key = fileKey(f)
      const dst = await read(share, f.rel)
      const edit = destEdits.get(key)
      if (edit) {
        if (dst && dst.equals(edit)) out.editsKept++
        else out.editsLost.push(key)
        continue
      }
      if (!dst) {
        out.missing.push(key)
        continue
      }
      const src = fs.readFileSync(path.join(share.src, f.rel))
      if (src.equals(dst)) out.identical++
      else out.differ.push(key)
    }
  }
  return out
}
