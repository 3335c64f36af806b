/**
 * Mount helpers for local-fault tests (root in the test container): small tmpfs, read-only bind mounts,
 * all undone by `releaseAll` (lazy unmount: a killed agent may still hold files open under them).
 */
import fs from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'

const active: string[] = []

export async function canMount(scratch: string): Promise<boolean> {
  const probe = path.join(scratch, 'mount-probe')
  fs.mkdirSync(probe, { recursive: true })
  try {
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe])
    await execa('umount', [probe])
    return true
  } catch {
    return false
  } finally {
    fs.rmSync(probe, { recursive: true, force: true })
  }
}

export async function tmpfs(dir: string, size: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true })
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir])
  active.push(dir)
}

export async function readOnly(dir: string): Promise<void> {
  await execa('mount', ['--bind', dir, dir])
  active.push(dir)
  await execa('mount', ['-o', 'remount,ro,bind', dir])
}

export async function release(dir: string): Promise<void> {
  const i = active.lastIndexOf(dir)
  if (i < 0) return
  active.splice(i, 1)
  await execa('umount', ['-l', dir]).catch(() => undefined)
}

export async function releaseAll(): Promise<void> {
  for (const d of active.splice(0).reverse()) await execa('umount', ['-l', d]).catch(() => undefined)
}

/** Fills the filesystem holding `dir` (one file of zeros until ENOSPC); returns the filler's path. */
export async function fill(dir: string): Promise<string> {
  const filler = path.join(dir, 'filler')
  await execa('dd', ['if=/dev/zero', `of=${filler}`, 'bs=16k'], { reject: false })
  return filler
}
