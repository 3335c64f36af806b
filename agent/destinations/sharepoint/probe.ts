/**
 * A scan's destination check on SharePoint: the site and library are found, and an empty file added to
 * the nearest folder that exists on the way to the task's folder is deleted again at once (a permanent
 * delete, not the recycle bin), so a scan creates nothing. A write is the one check that holds for every
 * way an identity can be refused (site, library or folder permissions, a locked or read-only site).
 */
import type { SPFI } from '@pnp/sp'
import '@pnp/sp/webs/index.js'
import '@pnp/sp/lists/index.js'
import '@pnp/sp/folders/index.js'
import '@pnp/sp/files/index.js'
import { DestinationError } from '../../engine/destination.ts'
import { signalBehavior } from './behaviors.ts'

export interface ProbeDeps {
  sp: SPFI
  /** the library's title */
  library: string
  /** the task's folder in the library, '' for its root */
  folder: string
  origin: string
  /** what open() would say about a failure to find the site or library */
  openError(err: unknown): DestinationError
  toError(err: unknown, what: string): DestinationError
}

const join = (...parts: string[]): string => parts.filter((p) => p !== '').join('/')

/** Answers what was checked and the destination root's URL (with the library's real URL); throws what is wrong. */
export async function probeLibrary(d: ProbeDeps, signal: AbortSignal): Promise<{ message: string; rootUrl: string }> {
  const { sp } = d
  let libraryUrl: string
  try {
    const lib = (await sp.web.lists.getByTitle(d.library).select('RootFolder/ServerRelativeUrl').expand('RootFolder').using(signalBehavior(signal))()) as { RootFolder: { ServerRelativeUrl: string } }
    libraryUrl = lib.RootFolder.ServerRelativeUrl.replace(/\/+$/, '')
  } catch (err) {
    throw d.openError(err)
  }
  const parts = d.folder.split('/').filter(Boolean)
  let dir = libraryUrl
  for (let i = parts.length; i > 0; i--) {
    const url = join(libraryUrl, ...parts.slice(0, i))
    const there = await sp.web.getFolderByServerRelativePath(url).select('Exists').using(signalBehavior(signal))().then(
      (f) => (f as { Exists?: boolean }).Exists !== false,
      (err: unknown) => {
        if ((err as { status?: number }).status === 404) return false
        throw d.toError(err, `checking folder ${url}`)
      },
    )
    if (there) {
      dir = url
      break
    }
  }
  const name = `mmesh-probe-${Math.random().toString(16).slice(2, 10)}.tmp`
  try {
    await sp.web.getFolderByServerRelativePath(dir).files.using(signalBehavior(signal)).addUsingPath(name, new ArrayBuffer(0), { Overwrite: false })
  } catch (err) {
    throw d.toError(err, `writing a test file in ${dir}`)
  }
  try {
    await sp.web.getFileByServerRelativePath(join(dir, name)).using(signalBehavior(signal)).delete()
  } catch (err) {
    throw new DestinationError(`a test file was written in ${dir} but could not be deleted (${d.toError(err, 'deleting the test file').message}): the identity may add but not delete files; delete ${name} by hand`, 'task', 'PROBE_LEFT', false, { cause: err })
  }
  return { message: `wrote and deleted a test file in ${d.origin}${dir}`, rootUrl: `${d.origin}${join(libraryUrl, d.folder)}` }
}
