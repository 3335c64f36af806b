// Lists one source folder: the names and one lstat per entry, with synchronous calls, on the scan
// worker's thread (scan-worker.js; tests run it from a worker of their own that can stall, see
// test/support/stalling-scan-worker.js). Plain JavaScript so it loads without a TypeScript loader in every
// runtime (agent, vitest, bench). On the main thread the same work costs a promise, a thread-pool hop and a
// Stats object with four Dates per entry (measured: 20,000 lstat calls took 366 ms there against 58 ms
// synchronously here); a slow share blocks this thread, never the agent's event loop. The answer is
// columns, not objects: cheap to copy between threads.
//
// Symbolic links are never followed, neither an entry (lstat: it is reported as what it is) nor the folder
// itself: a folder below the root is opened with O_NOFOLLOW and must be the folder its parent's listing saw
// (same device and inode), and on Linux it is then read through that descriptor (/proc/self/fd/N/…), so a
// folder swapped for a link to /etc between the parent's listing and this one fails, and one swapped while
// it is listed is not read through. scan.ts listHere() is the same listing on the main thread.
import fs from 'node:fs'
import path from 'node:path'

// Kind codes, shared with scan-pool.ts (KINDS there) and scan.ts: what the entry is. 2 and up are not
// migrated (decide.ts says which it was).
const KIND_FILE = 0
const KIND_FOLDER = 1
const KIND_OTHER = 2
const KIND_SYMLINK = 3
const KIND_FIFO = 4
const KIND_SOCKET = 5
const KIND_BLOCK = 6
const KIND_CHAR = 7

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants
// Folders are read through their descriptor where the platform has a path for one.
const PROC_FD = process.platform === 'linux' && fs.existsSync('/proc/self/fd')

// A long listing says it is still moving every this many entries (the watchdog measures silence).
const PROGRESS_EVERY = 1000

function kindOf(st) {
  if (st.isFile()) return KIND_FILE
  if (st.isDirectory()) return KIND_FOLDER
  if (st.isSymbolicLink()) return KIND_SYMLINK
  if (st.isFIFO()) return KIND_FIFO
  if (st.isSocket()) return KIND_SOCKET
  if (st.isBlockDevice()) return KIND_BLOCK
  if (st.isCharacterDevice()) return KIND_CHAR
  return KIND_OTHER
}

/** What a path is now, in words, for "changed between listing and reading" (never follows a link). */
function describePath(p) {
  try {
    const st = fs.lstatSync(p)
    if (st.isDirectory()) return 'a different folder'
    return ['a file', 'a folder', 'a special file', 'a symbolic link', 'a FIFO (named pipe)', 'a socket', 'a block device', 'a character device'][kindOf(st)]
  } catch (err) {
    return err && err.code === 'ENOENT' ? 'gone' : `unreadable (${err && err.code ? err.code : String(err)})`
  }
}

function changed(dir, now) {
  const e = new Error(`${dir} changed between listing and reading: it is now ${now}; not read`)
  e.code = 'ECHANGED'
  return e
}

/**
 * Opens the folder to list. `expect` ({dev, ino} from the parent's listing) is given for every folder
 * below the root: it is opened without following a link and must be that very folder. The root is the
 * task's own path (the agent's source roots decide whether it may be read) and is opened as it resolves.
 */
function openFolder(dir, expect) {
  let fd
  try {
    fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY | (expect ? O_NOFOLLOW : 0))
  } catch (err) {
    // O_NOFOLLOW on a link says ELOOP (ENOTDIR with O_DIRECTORY): say what is there now.
    if (expect && err && (err.code === 'ELOOP' || err.code === 'ENOTDIR')) throw changed(dir, describePath(dir))
    throw err
  }
  if (expect) {
    const st = fs.fstatSync(fd)
    if (st.dev !== expect.dev || st.ino !== expect.ino) {
      fs.closeSync(fd)
      throw changed(dir, 'a different folder')
    }
  }
  return fd
}

function list(dir, expect, id, port) {
  const fd = openFolder(dir, expect)
  // Names and lstat calls go through the descriptor: the folder that was checked is the one listed.
  const base = PROC_FD ? `/proc/self/fd/${fd}/` : dir.endsWith(path.sep) ? dir : dir + path.sep
  try {
    // Sorted by UTF-16 code units so every round sees the same order.
    const names = fs.readdirSync(PROC_FD ? base : dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    port.postMessage({ id, progress: 0 })
    const n = names.length
    const kind = new Uint8Array(n)
    const size = new Float64Array(n)
    const mtimeMs = new Float64Array(n)
    const birthtimeMs = new Float64Array(n)
    const uid = new Float64Array(n).fill(-1)
    // Device and inode: a reader checks the file it opens is this one (not one swapped in since).
    const dev = new Float64Array(n)
    const ino = new Float64Array(n)
    const errors = []
    for (let i = 0; i < n; i++) {
      if (i > 0 && i % PROGRESS_EVERY === 0) port.postMessage({ id, progress: i })
      try {
        // lstat: a symbolic link is reported as what it is, never followed (no loops, no escaping the share).
        const st = fs.lstatSync(base + names[i])
        const k = kindOf(st)
        kind[i] = k
        size[i] = k === KIND_FILE ? st.size : 0
        mtimeMs[i] = st.mtimeMs
        birthtimeMs[i] = st.birthtimeMs
        uid[i] = st.uid
        dev[i] = st.dev
        ino[i] = st.ino
      } catch (err) {
        kind[i] = KIND_OTHER
        errors.push([i, err && err.code ? err.code : String(err)])
      }
    }
    if (!PROC_FD && expect) {
      // Without a path through the descriptor: the folder must still be the one opened.
      const now = fs.lstatSync(dir, { throwIfNoEntry: false })
      if (!now || !now.isDirectory() || now.dev !== expect.dev || now.ino !== expect.ino) throw changed(dir, now ? describePath(dir) : 'gone')
    }
    return { names, kind, size, mtimeMs, birthtimeMs, uid, dev, ino, errors }
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Answers one request `{ id, dir, dev?, ino? }` from the pool (scan-pool.ts) on `port`: the listing as
 * columns, or the error. `dev`/`ino`: the folder as its parent's listing saw it (absent for the root).
 */
export function answerListing(m, port) {
  try {
    const r = list(m.dir, typeof m.ino === 'number' ? { dev: m.dev, ino: m.ino } : null, m.id, port)
    port.postMessage({ id: m.id, ok: true, ...r }, [r.kind.buffer, r.size.buffer, r.mtimeMs.buffer, r.birthtimeMs.buffer, r.uid.buffer, r.dev.buffer, r.ino.buffer])
  } catch (err) {
    port.postMessage({ id: m.id, ok: false, code: err && err.code ? err.code : '', message: err && err.message ? err.message : String(err) })
  }
}
