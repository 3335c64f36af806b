/**
 * Report files are written where the admin points `--out`, often a shared folder. Inside it nothing is
 * followed: files are opened with O_NOFOLLOW (a planted symlink named ItemReport.csv makes the export fail
 * instead of overwriting whatever it points at), and a task's folder must be a real folder, not a link.
 */
import fs from 'node:fs'
import { lstat, mkdir } from 'node:fs/promises'

/** open(2) flags for a report file: create or truncate, never through a symbolic link. */
export const WRITE_NO_FOLLOW = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW

/** Creates `dir` (and its parents) and checks that it is a folder, not a symbolic link to one. */
export async function realFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  const st = await lstat(dir)
  if (!st.isDirectory()) throw new Error(`${dir} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}: remove it, or export to another folder`)
}
