/**
 * On a CIFS (SMB) mount the share's own DOS attributes and creation time are readable as the extended
 * attributes `user.cifs.dosattrib` and `user.cifs.creationtime`. Node has no xattr API and we ship no
 * native addon, so they are read with `getfattr` (package `attr`), one process per folder, only when the
 * source is a CIFS mount and getfattr exists; otherwise they are skipped and dotfiles alone are hidden.
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'

export interface CifsAttributes {
  hidden: boolean
  creationTimeMs: number | null
}

const FILE_ATTRIBUTE_HIDDEN = 0x2
/** 100-ns intervals between 1601-01-01 and 1970-01-01 (Windows FILETIME epoch). */
const FILETIME_EPOCH_DIFF = 116444736000000000n

/** True when `dir` is on a cifs/smb3 mount, by the longest matching mount point in /proc/mounts. */
export async function isCifsMount(dir: string): Promise<boolean> {
  let mounts: string
  try {
    mounts = await readFile('/proc/mounts', 'utf8')
  } catch {
    return false
  }
  const abs = path.resolve(dir)
  let best = ''
  let bestType = ''
  for (const line of mounts.split('\n')) {
    const [, mp, type] = line.split(' ')
    if (!mp || !type) continue
    const point = mp.replace(/\\040/g, ' ')
    if ((abs === point || abs.startsWith(point.endsWith('/') ? point : point + '/')) && point.length > best.length) {
      best = point
      bestType = type
    }
  }
  return bestType === 'cifs' || bestType === 'smb3'
}

let getfattrMissing = false

export async function readCifsAttributes(files: string[]): Promise<Map<string, CifsAttributes>> {
  const out = new Map<string, CifsAttributes>()
  if (getfattrMissing || files.length === 0) return out
  const dos = await getfattr('user.cifs.dosattrib', files)
  const created = await getfattr('user.cifs.creationtime', files)
  for (const f of files) {
    const d = dos.get(f)
    const c = created.get(f)
    out.set(f, {
      hidden: d !== undefined && d.length >= 1 && (d[0]! & FILE_ATTRIBUTE_HIDDEN) !== 0,
      creationTimeMs: c !== undefined && c.length >= 8 ? Number((c.readBigUInt64LE(0) - FILETIME_EPOCH_DIFF) / 10000n) : null,
    })
  }
  return out
}

function getfattr(name: string, files: string[]): Promise<Map<string, Buffer>> {
  return new Promise((resolve) => {
    execFile('getfattr', ['--absolute-names', '-e', 'hex', '-n', name, '--', ...files], { maxBuffer: 64 << 20 }, (err, stdout) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') getfattrMissing = true
      // getfattr exits non-zero when some files lack the attribute; what it printed is still good.
      resolve(parseGetfattr(stdout ?? ''))
    })
  })
}

export function parseGetfattr(text: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  let file: string | null = null
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) file = unescapeName(line.slice(8))
    else if (file !== null) {
      const m = /^[^=]+=0x([0-9a-fA-F]*)$/.exec(line)
      if (m) out.set(file, Buffer.from(m[1]!, 'hex'))
    }
  }
  return out
}

/**
 * getfattr prints a name's control characters and backslashes as octal escapes (`\134` for `\`, `\012`
 * for a newline) and other bytes as they are; undo that so the name matches the path we asked about.
 */
function unescapeName(printed: string): string {
  if (!printed.includes('\\')) return printed
  const bytes: number[] = []
  const raw = Buffer.from(printed, 'utf8')
  for (let i = 0; i < raw.length; i++) {
    const oct = raw[i] === 0x5c && i + 3 < raw.length ? /^[0-7]{3}$/.exec(raw.subarray(i + 1, i + 4).toString('latin1')) : null
    if (oct) {
      bytes.push(Number.parseInt(oct[0], 8))
      i += 3
    } else bytes.push(raw[i]!)
  }
  return Buffer.from(bytes).toString('utf8')
}
