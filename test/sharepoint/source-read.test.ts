/**
 * The SharePoint upload reads only the source the listing saw (issue 15): a source now a symbolic link (to a
 * secret outside the share), a FIFO or another file fails with "changed between listing and reading" and
 * nothing of it is uploaded, for one-request uploads and upload sessions alike; a FIFO never hangs it.
 */
import { execFileSync } from 'node:child_process'
import { lstatSync } from 'node:fs'
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DestinationError, type SourceFile } from '../../agent/engine/destination.ts'
import { startHarness, type Harness } from './helpers.ts'

let h: Harness
let secret: string
beforeAll(async () => {
  h = await startHarness()
  secret = path.join(h.dir, 'secret.txt')
  await writeFile(secret, 'TOP SECRET '.repeat(200_000))
})
afterAll(async () => {
  await h?.stop()
})

const CHUNK = 320 * 1024
const NOW = { link: 'a symbolic link', fifo: 'a FIFO (named pipe)', other: 'a different file' } as const

async function listedThenSwapped(name: string, bytes: number, kind: keyof typeof NOW): Promise<SourceFile> {
  const root = path.join(h.dir, 'src')
  await mkdir(root, { recursive: true })
  const at = path.join(root, name)
  await writeFile(at, Buffer.alloc(bytes, 5))
  const st = lstatSync(at)
  await rename(at, `${at}.old`) // kept, so its inode number is not handed to the replacement
  if (kind === 'link') await symlink(secret, at)
  else if (kind === 'fifo') execFileSync('mkfifo', [at])
  else await writeFile(at, Buffer.alloc(bytes, 6))
  return { localPath: at, size: st.size, mtimeMs: st.mtimeMs, birthtimeMs: null, owner: null, dev: st.dev, ino: st.ino }
}

describe('SharePoint upload: the source must be the file listed', () => {
  for (const [label, bytes] of [['one request', 1000], ['upload session', CHUNK * 3 + 10]] as const) {
    for (const kind of ['link', 'fifo', 'other'] as const) {
      it(`${label}: a source now ${NOW[kind]} fails, nothing uploaded`, async () => {
        const dest = h.destination({ folder: 'Swapped', chunkSize: CHUNK })
        const signal = AbortSignal.timeout(20_000)
        await dest.open(signal)
        const name = `${kind}-${bytes}.bin`
        const source = await listedThenSwapped(name, bytes, kind)
        const err = await dest.putFile(name, source, { signal, overwrite: false }).then(() => null, (e: unknown) => e)
        expect(err).toBeInstanceOf(DestinationError)
        expect((err as DestinationError).code).toBe('0x01110003')
        expect((err as DestinationError).message).toBe(`source ${source.localPath} changed between listing and reading: it is now ${NOW[kind]}; it was not read`)
        expect(await h.emu.readFile(`/sites/dev/Shared Documents/Swapped/${name}`)).toBeFalsy()
      }, 20_000)
    }
  }
})
