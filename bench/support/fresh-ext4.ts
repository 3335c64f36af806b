/**
 * A new journaled ext4 file system in a loop-mounted image (root only): this VM's own disk bills one
 * contender for another's deletes for minutes after a mass delete (BENCHMARKS.md, engine section), so a
 * benchmark that writes many files can run on a disk that starts clean every time.
 */
import { execFile } from 'node:child_process'
import { mkdir, rm } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface FreshExt4 {
  /** where it is mounted */
  readonly dir: string
  unmount(): Promise<void>
}

export async function mountFreshExt4(gb: number, image = '/tmp/mmesh-bench-ext4.img', mountPoint = '/tmp/mmesh-bench-ext4'): Promise<FreshExt4> {
  await run('umount', [mountPoint]).catch(() => {})
  await run('truncate', ['-s', `${gb}G`, image])
  await run('mkfs.ext4', ['-q', '-F', image])
  await mkdir(mountPoint, { recursive: true })
  await run('mount', ['-o', 'loop', image, mountPoint])
  return {
    dir: mountPoint,
    async unmount() {
      await run('umount', [mountPoint]).catch(() => {})
      await rm(image, { force: true })
    },
  }
}
