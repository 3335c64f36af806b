// Small-file copier for the file:// destination, run in worker threads. Plain JavaScript on purpose: it
// loads without a TypeScript loader in every runtime (agent, vitest, bench). One message carries a batch
// of whole files; each is copied with synchronous calls (read, hash, write to a temp name, set times,
// re-read and verify, rename) and the batch is answered with one message holding one result per file.
// For small files the cost is the number of round trips and syscalls, not the bytes: one message per
// batch instead of one per file (measured: per-file messages cost as much main-thread time as the copy),
// and about eleven syscalls per file instead of sixteen.
import { parentPort, workerData } from 'node:worker_threads'
import fs from 'node:fs'
import path from 'node:path'
import xxhash from 'xxhash-wasm'

const api = await xxhash()
let buf = Buffer.allocUnsafe(1 << 16)
let check = Buffer.allocUnsafe(1 << 16)
// Temp names: a random prefix per worker (from the pool: loading node:crypto here costs a worker
// ~100 ms of start-up) and a counter. O_EXCL makes a clash an error, never an overwrite, and 48 random
// bits keep two agents (or two workers) writing the same folder apart.
const tmpPrefix = workerData.tmpPrefix
let tmpCounter = 0
const { O_RDWR, O_CREAT, O_EXCL, O_RDONLY } = fs.constants

function fail(kind, err) {
  const e = new Error(err && err.message ? err.message : String(err))
  e.kind = kind
  e.code = err && err.code ? err.code : ''
  return e
}

/** Reads up to `want` bytes at 0 into `into`; stops early only at end of file. */
function readAll(fd, into, want) {
  let n = 0
  while (n < want) {
    const r = fs.readSync(fd, into, n, want - n, n)
    if (r === 0) break
    n += r
  }
  return n
}

function readSource(m) {
  let fd
  try {
    fd = fs.openSync(m.src, O_RDONLY)
  } catch (err) {
    throw fail('source', err)
  }
  let n
  let st
  try {
    if (buf.length < m.size + 1) buf = Buffer.allocUnsafe(m.size + 1)
    // Ask for one byte past the expected size: a file that grew shows up as a longer read. One read
    // returns the whole file; the fstat after it (size and mtime) catches a change during the read.
    n = readAll(fd, buf, m.size + 1)
    st = fs.fstatSync(fd)
  } catch (err) {
    throw fail('source', err)
  } finally {
    fs.closeSync(fd)
  }
  if (n !== m.size || st.size !== m.size || Math.abs(st.mtimeMs - m.mtimeMs) > 1) throw fail('changed', 'changed while read')
  return buf.subarray(0, n)
}

/** Set by the pool when the batch must commit nothing more (abort, lost lease); null for single jobs. */
let stop = null
const stopped = () => stop !== null && Atomics.load(stop, 0) !== 0

function copy(m) {
  const data = readSource(m)
  const n = data.length
  const hash = api.h64Raw(data)
  const tmp = path.join(path.dirname(m.final), `${tmpPrefix}${(tmpCounter++).toString(36)}`)
  let created = false
  try {
    // Read-write, so the verification below re-reads through the same descriptor.
    const out = fs.openSync(tmp, O_RDWR | O_CREAT | O_EXCL, 0o644)
    created = true
    try {
      let w = 0
      while (w < n) w += fs.writeSync(out, data, w, n - w, w)
      if (m.fsync) fs.fsyncSync(out)
      fs.futimesSync(out, Date.now() / 1000, m.mtimeMs / 1000)
      // Verify what the filesystem holds, not what we meant to write: the bytes are read back from the
      // file (one byte more is asked for, so a longer file fails too) and hashed. Reading through the
      // descriptor we wrote with is as strong as re-opening the temp name: both read the inode's data
      // from the same cache (neither reaches the platter), and the name is one we created with O_EXCL
      // that nothing else writes. It saves an open, fstat, read and close per file.
      if (check.length < n + 1) check = Buffer.allocUnsafe(n + 1)
      const got = readAll(out, check, n + 1)
      if (got !== n || api.h64Raw(check.subarray(0, got)) !== hash) throw fail('verify', 'verification failed: the written copy differs from what was read')
    } finally {
      fs.closeSync(out)
    }
    if (m.overwrite) {
      // The copy replaces an older file; if someone saved a newer one meanwhile, theirs stays.
      const now = fs.lstatSync(m.final, { throwIfNoEntry: false })
      if (now !== undefined && now.mtimeMs > m.mtimeMs + 1) throw fail('newer', 'changed at the destination while copying')
    } else {
      let exists = true
      try {
        exists = fs.lstatSync(m.final, { throwIfNoEntry: false }) !== undefined
      } catch {
        // cannot tell (ENOTDIR, EACCES): the rename below reports what is wrong
        exists = false
      }
      if (exists) throw fail('exists', 'appeared at the destination while copying')
    }
    // The last moment before the file becomes visible: a batch told to stop commits nothing more.
    if (stopped()) throw fail('stopped', 'stopped before it was committed')
    fs.renameSync(tmp, m.final)
    created = false
    return { size: n, hash }
  } catch (err) {
    if (err.kind) throw err
    throw fail('dest', err)
  } finally {
    if (created) {
      try {
        fs.unlinkSync(tmp)
      } catch {}
    }
  }
}

/** xxh64 of a whole file read by name: the verification re-read of large files, off the main thread. */
function hashByName(file) {
  const fd = fs.openSync(file, O_RDONLY)
  try {
    const h = api.create64()
    if (check.length < 1 << 20) check = Buffer.allocUnsafe(1 << 20)
    let pos = 0
    for (;;) {
      const r = fs.readSync(fd, check, 0, check.length, pos)
      if (r === 0) break
      h.update(check.subarray(0, r))
      pos += r
    }
    return { size: pos, hash: h.digest() }
  } finally {
    fs.closeSync(fd)
  }
}

function one(m) {
  if (m.hashOnly) {
    try {
      const r = hashByName(m.final)
      return { id: m.id, ok: true, size: r.size, hash: r.hash }
    } catch (err) {
      return { id: m.id, ok: false, kind: 'dest', code: err.code || '', message: err.message }
    }
  }
  if (stopped()) return { id: m.id, ok: false, kind: 'stopped', code: '', message: 'stopped before it was copied' }
  try {
    const r = copy(m)
    return { id: m.id, ok: true, size: r.size, hash: r.hash }
  } catch (err) {
    return { id: m.id, ok: false, kind: err.kind || 'dest', code: err.code || '', message: err.message }
  }
}

// Two kinds of message. A caller's batch ({ id, stop, jobs }, from runBatch) is answered once, whole:
// the caller sized it. A queue of single jobs (an array) is answered in slices of a few files rather
// than once: the main thread refills its copy slots while this worker carries on with the rest.
const SLICE = 8
// A batch comes and goes as columns (see file-pool.ts BatchReply; FAIL_KINDS must match its list).
const FAIL_KINDS = ['', 'source', 'dest', 'changed', 'verify', 'exists', 'newer', 'stopped']

function runBatch(msg) {
  const n = msg.srcs.length
  const kinds = new Uint8Array(n)
  const sizes = new Float64Array(n)
  const hashes = new BigUint64Array(n)
  const failures = []
  stop = msg.stop
  try {
    for (let i = 0; i < n; i++) {
      const r = one({ src: msg.srcs[i], final: msg.finals[i], size: msg.sizes[i], mtimeMs: msg.mtimes[i], overwrite: msg.overwrite[i] === 1, fsync: msg.fsync })
      if (r.ok) {
        sizes[i] = r.size
        hashes[i] = r.hash
      } else {
        const k = FAIL_KINDS.indexOf(r.kind)
        kinds[i] = k > 0 ? k : FAIL_KINDS.indexOf('dest')
        failures.push([i, r.code, r.message])
      }
    }
  } finally {
    stop = null
  }
  parentPort.postMessage({ id: msg.id, kinds, sizes, hashes, failures }, [kinds.buffer, sizes.buffer, hashes.buffer])
}

parentPort.on('message', (msg) => {
  if (!Array.isArray(msg)) return runBatch(msg)
  const batch = msg
  let out = []
  for (const m of batch) {
    out.push(one(m))
    if (out.length >= SLICE) {
      parentPort.postMessage(out)
      out = []
    }
  }
  if (out.length > 0) parentPort.postMessage(out)
})
