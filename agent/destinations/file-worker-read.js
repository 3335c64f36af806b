// The small-file copier's reads (file-worker.js): a source read whole, checked before and after the read
// (step 1; agent/destinations/source-read.ts makes the same checks on the main thread's side), and the
// xxh64 of a whole file. Plain JavaScript, as the worker.
import fs from 'node:fs'
import xxhash from 'xxhash-wasm'

export const api = await xxhash()

const { O_RDONLY } = fs.constants
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0
const SOURCE_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK

/** the source's bytes, reused from file to file (a worker reads one file at a time) */
let buf = Buffer.allocUnsafe(1 << 16)

export function fail(kind, err) {
  const e = new Error(err && err.message ? err.message : String(err))
  e.kind = kind
  e.code = err && err.code ? err.code : ''
  return e
}

/** What an entry is, in words (file-errors.ts describeMode). */
function describeMode(st) {
  if (st.isFile()) return 'a regular file'
  if (st.isDirectory()) return 'a folder'
  if (st.isSymbolicLink()) return 'a symbolic link'
  if (st.isFIFO()) return 'a FIFO (named pipe)'
  if (st.isSocket()) return 'a socket'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isCharacterDevice()) return 'a character device'
  return 'a special file'
}

/** The source is not what the listing saw: the message is what it is now (file.ts words the error). */
function swapped(now) {
  return fail('swapped', now)
}

/**
 * Reads up to `want` bytes at 0 into `into`; stops at end of file, or once it holds `enough` bytes and a
 * read came back short of what it asked for. A regular file's read is short only at its end, so one read
 * that asks for one byte past the expected size answers both "all of it" and "no more": asking again for
 * the end-of-file zero was a second pread per file, twice per copy (the source and the read-back).
 */
export function readAll(fd, into, want, enough = want) {
  let n = 0
  while (n < want) {
    const ask = want - n
    const r = fs.readSync(fd, into, n, ask, n)
    if (r === 0) break
    n += r
    if (n >= enough && r < ask) break
  }
  return n
}

/**
 * Opens a source without following a link and without blocking, and checks it before any byte is read:
 * a regular file, and when the listing's device and inode are known (ino >= 0), that very file.
 */
export function openSource(m) {
  let fd
  try {
    fd = fs.openSync(m.src, SOURCE_FLAGS)
  } catch (err) {
    // ELOOP: a symbolic link (O_NOFOLLOW); ENXIO: a socket. Say what is there.
    if (err && err.code !== 'ENOENT') {
      let st
      try {
        st = fs.lstatSync(m.src)
      } catch {}
      if (st && !st.isFile()) throw swapped(describeMode(st))
    }
    throw fail('source', err)
  }
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) throw swapped(describeMode(st))
    if (m.ino >= 0 && (st.ino !== m.ino || st.dev !== m.dev)) throw swapped('a different file')
    return fd
  } catch (err) {
    fs.closeSync(fd)
    throw err.kind ? err : fail('source', err)
  }
}

export function readSource(m) {
  const fd = openSource(m)
  let n
  let st
  try {
    if (buf.length < m.size + 1) buf = Buffer.allocUnsafe(m.size + 1)
    // Ask for one byte past the expected size: a file that grew shows up as a longer read. One read
    // returns the whole file; the fstat after it (size and mtime) catches a change during the read.
    n = readAll(fd, buf, m.size + 1, m.size)
    st = fs.fstatSync(fd)
  } catch (err) {
    throw fail('source', err)
  } finally {
    fs.closeSync(fd)
  }
  if (n !== m.size || st.size !== m.size || Math.abs(st.mtimeMs - m.mtimeMs) > 1) throw fail('changed', 'changed while read')
  return buf.subarray(0, n)
}

/** a whole file's bytes pass through it, a MiB at a time */
let hashBuf = Buffer.alloc(0)

/** xxh64 of a whole file: by a descriptor the caller holds open (fd >= 0; worker threads share them), else by name. */
function hashWhole(m) {
  const own = !(m.fd >= 0)
  const fd = own ? fs.openSync(m.final, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) : m.fd
  try {
    const h = api.create64()
    if (hashBuf.length < 1 << 20) hashBuf = Buffer.allocUnsafe(1 << 20)
    let pos = 0
    for (;;) {
      const r = fs.readSync(fd, hashBuf, 0, hashBuf.length, pos)
      if (r === 0) break
      h.update(hashBuf.subarray(0, r))
      pos += r
    }
    return { size: pos, hash: h.digest() }
  } finally {
    if (own) fs.closeSync(fd)
  }
}

export function hashOne(m) {
  try {
    const r = hashWhole(m)
    return { id: m.id, ok: true, size: r.size, hash: r.hash }
  } catch (err) {
    return { id: m.id, ok: false, kind: 'dest', code: err.code || '', message: err.message }
  }
}
