// Small-file copier for the file:// destination, run in worker threads. Plain JavaScript on purpose: it
// loads without a TypeScript loader in every runtime (agent, vitest, bench). One message carries a batch
// of whole files, answered with one message holding one result per file. For small files the cost is the
// number of round trips and syscalls, not the bytes: one message per batch instead of one per file
// (measured: per-file messages cost as much main-thread time as the copy).
//
// A file, in order:
//   1. open the source with O_NOFOLLOW | O_NONBLOCK and fstat it: a regular file with the device and inode
//      the listing saw, or the file fails ('swapped') unread; read it whole, fstat again (changed while read?)
//   2. write it to a temporary name (O_EXCL) and read it back through the same descriptor (verify)
//   3. flush the temporary file's bytes to disk
//   4. only then give it the source's times, and rename it to its final name
// and once per message, after the renames: flush the folder, so the names are on disk too (a caller's batch
// may leave that to its destination's settle(), once for the whole task: file.ts). A file never shows
// the source's modified time under its final name unless its bytes are durable: after a power cut, a name
// that survived has its data, and one whose data was lost never got the source's time, so a rerun copies it.
// Step 3 runs for a group of files at once. On Linux it is one syncfs(2) of the destination's file system
// (asked of the main thread, which runs them for the whole agent: file-flush.ts), shared by every batch
// of every worker waiting at that moment (a group commit), and the folders' flush is the next such syncfs (it commits the file system's journal, names
// included): measured on a fresh ext4, 10,000 files of 4 KB took 0.63 s unflushed, 0.91 s with one syncfs
// per 500 files, 3.2 s with an fdatasync per file (1.1 s with a 64-thread pool). Elsewhere, or when
// syncfs cannot run, it is an fdatasync per file, in parallel on libuv's thread pool, and an fsync per
// folder.
import { parentPort, workerData } from 'node:worker_threads'
import fs from 'node:fs'
import path from 'node:path'
import { api, fail, hashOne, readAll, readSource } from './file-worker-read.js'

let check = Buffer.allocUnsafe(1 << 16)
// Temp names: the sending pool's prefix (this agent's tag and the destination's live token; see
// file-pool.ts TempNames), this worker's random part, and a counter. The prefix comes with each job, since
// a worker outlives its pool and serves the next destination (file-pool.ts spareSlots). O_EXCL makes a
// clash an error, never an overwrite.
const workerTag = `${workerData.tag}-`
let tmpCounter = 0
const { O_RDWR, O_CREAT, O_EXCL, O_RDONLY, O_DIRECTORY } = fs.constants
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0

// Files prepared (written, verified) before their data is flushed together, then renamed: bounds the
// descriptors a batch holds open at once.
const GROUP = 32

const stopped = (stop) => stop !== null && Atomics.load(stop, 0) !== 0

/**
 * Steps 1 and 2 for one file: read, hash, write to a temporary name, read back and verify. Answers the
 * open temporary file; on failure nothing is left behind.
 */
function prepare(m) {
  const data = readSource(m)
  const n = data.length
  const hash = api.h64Raw(data)
  const tmp = path.join(path.dirname(m.final), `${m.prefix}${workerTag}${(tmpCounter++).toString(36)}`)
  let out = -1
  try {
    // Read-write, so the verification below re-reads through the same descriptor.
    out = fs.openSync(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644)
    let w = 0
    while (w < n) w += fs.writeSync(out, data, w, n - w, w)
    // Verify what the filesystem holds, not what we meant to write: the bytes are read back from the
    // file (one byte more is asked for, so a longer file fails too) and hashed. Reading through the
    // descriptor we wrote with is as strong as re-opening the temp name: both read the inode's data
    // from the same cache (neither reaches the platter), and the name is one we created with O_EXCL
    // that nothing else writes. It saves an open, fstat, read and close per file.
    // Compared byte for byte with what was read (a memcmp: cheaper than hashing it again, and exact).
    if (check.length < n + 1) check = Buffer.allocUnsafe(n + 1)
    const got = readAll(out, check, n + 1, n)
    if (got !== n || !check.subarray(0, got).equals(data)) throw fail('verify', 'verification failed: the written copy differs from what was read')
    return { m, fd: out, tmp, n, hash, err: null }
  } catch (err) {
    // Only a temporary file this call created is removed (a failed O_EXCL open created none).
    if (out >= 0) {
      try {
        fs.closeSync(out)
      } catch {}
      try {
        fs.unlinkSync(tmp)
      } catch {}
    }
    throw err.kind ? err : fail('dest', err)
  }
}

/**
 * Step 3 (and the folders' flush) by syncfs, asked of the main thread (file-flush.ts): one flush at a time
 * per file system for the whole agent, shared by every batch of every worker waiting at that moment.
 * `fd`: a descriptor on the file system, held open by the caller until this answers. Answers null, or an
 * error; after an error that says no flush can work (no `sync` program), later groups use fdatasync.
 */
const SYNCFS = process.platform === 'linux' && fs.existsSync(`/proc/${process.pid}/fd`)
let syncfsUnavailable = !SYNCFS
const flushWaits = new Map()
let flushIds = 0

function flushFileSystem(dev, fd) {
  if (syncfsUnavailable) return Promise.resolve(Object.assign(new Error('syncfs is not available'), { code: 'ENOSYS' }))
  return new Promise((resolve) => {
    const flush = ++flushIds
    flushWaits.set(flush, resolve)
    parentPort.postMessage({ flush, dev, fd })
  })
}

/** The main thread's answer to flushFileSystem. */
function flushed(msg) {
  const resolve = flushWaits.get(msg.flushed)
  flushWaits.delete(msg.flushed)
  if (msg.answer && msg.answer.unavailable) syncfsUnavailable = true
  resolve?.(msg.answer ? Object.assign(new Error(msg.answer.message), { code: msg.answer.code }) : null)
}

/**
 * Step 3 for a group of prepared files (the device is asked once per folder and group: a temporary file
 * just created in a folder is on that folder's file system, and an fstat per file was 10,000 system calls
 * a 10,000-file task). A failed syncfs is not trusted to say which file failed: those files are flushed one
 * by one, and each gets its own answer.
 */
async function flushGroup(prepared) {
  if (prepared.length === 0) return
  if (!syncfsUnavailable) {
    const byDev = new Map()
    const devOfFolder = new Map()
    for (const p of prepared) {
      const folder = path.dirname(p.tmp)
      let dev = devOfFolder.get(folder)
      if (dev === undefined) {
        try {
          dev = fs.fstatSync(p.fd).dev
          devOfFolder.set(folder, dev)
        } catch {
          dev = `?${p.fd}`
        }
      }
      p.dev = dev
      const g = byDev.get(dev)
      if (g) g.push(p)
      else byDev.set(dev, [p])
    }
    await Promise.all(
      [...byDev].map(async ([dev, files]) => {
        const err = await flushFileSystem(dev, files[0].fd)
        if (err) await Promise.all(files.map(datasync))
      }),
    )
    return
  }
  await Promise.all(prepared.map(datasync))
}

/** Step 3 for one file: fdatasync on libuv's thread pool, so many overlap. */
function datasync(p) {
  return new Promise((resolve) =>
    fs.fdatasync(p.fd, (err) => {
      if (err) p.err = fail('dest', err)
      resolve()
    }),
  )
}

/** Step 4: times on durable bytes, then the checks at the destination and the rename. */
function commit(p, stop) {
  const m = p.m
  let renamed = false
  try {
    if (p.err) throw p.err
    fs.futimesSync(p.fd, Date.now() / 1000, m.mtimeMs / 1000)
    fs.closeSync(p.fd)
    p.fd = -1
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
    if (stopped(stop)) throw fail('stopped', 'stopped before it was committed')
    fs.renameSync(p.tmp, m.final)
    renamed = true
  } catch (err) {
    throw err.kind ? err : fail('dest', err)
  } finally {
    if (p.fd >= 0) {
      try {
        fs.closeSync(p.fd)
      } catch {}
      p.fd = -1
    }
    if (!renamed) {
      try {
        fs.unlinkSync(p.tmp)
      } catch {}
    }
  }
}

/**
 * The folder's entries to disk, after the renames into it. A file system that cannot fsync a folder
 * (EINVAL, ENOTSUP: some network and FUSE mounts) has nothing more to offer: that is not a failure.
 */
function syncFolder(dir) {
  let fd
  try {
    fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY)
  } catch (err) {
    return err
  }
  try {
    fs.fsyncSync(fd)
    return null
  } catch (err) {
    return err && (err.code === 'EINVAL' || err.code === 'ENOTSUP' || err.code === 'EOPNOTSUPP' || err.code === 'EBADF') ? null : err
  } finally {
    fs.closeSync(fd)
  }
}

const ok = (r) => ({ ok: true, size: r.n, hash: r.hash })
const failure = (err) => ({ ok: false, kind: err.kind || 'dest', code: err.code || '', message: err.message })

/**
 * Copies `jobs` (results in order); `dirs` collects the folders renamed into, for syncFolder once the
 * caller's batch is done. `fsync` false (the destination's opt-out) skips step 3.
 */
async function copyGroup(jobs, stop, fsync, results, offset, dirs) {
  const prepared = []
  for (let i = 0; i < jobs.length; i++) {
    const m = jobs[i]
    if (stopped(stop)) {
      results[offset + i] = { ok: false, kind: 'stopped', code: '', message: 'stopped before it was copied' }
      continue
    }
    try {
      const p = prepare(m)
      p.i = offset + i
      prepared.push(p)
    } catch (err) {
      results[offset + i] = failure(err)
    }
  }
  if (fsync) await flushGroup(prepared)
  for (const p of prepared) {
    try {
      commit(p, stop)
      results[p.i] = ok(p)
      const dir = path.dirname(p.m.final)
      const at = dirs.get(dir)
      if (at) at.push(p.i)
      else dirs.set(dir, [p.i])
    } catch (err) {
      results[p.i] = failure(err)
    }
  }
}

/**
 * Flushes each folder renamed into; a folder that cannot be flushed fails the files put there. With syncfs,
 * the next flush of the file system (shared with the batches waiting for step 3) carries the folders'
 * entries too; else, or if it fails, each folder gets its own fsync.
 */
async function syncFolders(dirs, results, fsync) {
  if (!fsync || dirs.size === 0) return
  if (!syncfsUnavailable) {
    const held = []
    try {
      const byDev = new Map()
      for (const dir of dirs.keys()) {
        let fd
        try {
          fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY)
        } catch {
          continue
        }
        held.push(fd)
        const dev = fs.fstatSync(fd).dev
        if (!byDev.has(dev)) byDev.set(dev, fd)
      }
      const errs = await Promise.all([...byDev].map(([dev, fd]) => flushFileSystem(dev, fd)))
      if (held.length === dirs.size && errs.every((e) => e === null)) return
    } finally {
      for (const fd of held) fs.closeSync(fd)
    }
  }
  for (const [dir, idx] of dirs) {
    const err = syncFolder(dir)
    if (!err) continue
    for (const i of idx) results[i] = { ok: false, kind: 'unflushed', code: err.code || '', message: err.message }
  }
}

/**
 * Copies a list of jobs in groups, then flushes the folders (unless `folders` is false: the caller flushes
 * them later, file.ts settle()): one result per job, in order.
 */
async function copyAll(jobs, stop, fsync, folders = true) {
  const results = new Array(jobs.length)
  const dirs = new Map()
  for (let at = 0; at < jobs.length; at += GROUP) await copyGroup(jobs.slice(at, at + GROUP), stop, fsync, results, at, dirs)
  if (folders) await syncFolders(dirs, results, fsync)
  return results
}

// Two kinds of message. A caller's batch ({ id, stop, srcs, … }, from runBatch) is answered once, whole:
// the caller sized it. A queue of single jobs (an array) is answered in slices of a few files rather
// than once: the main thread refills its copy slots while this worker carries on with the rest.
const SLICE = 8
// A batch comes and goes as columns (see file-pool.ts BatchReply; FAIL_KINDS must match its list).
const FAIL_KINDS = ['', 'source', 'dest', 'changed', 'verify', 'exists', 'newer', 'stopped', 'swapped', 'unflushed']

async function runBatch(msg) {
  const n = msg.srcs.length
  const jobs = new Array(n)
  for (let i = 0; i < n; i++) jobs[i] = { prefix: msg.prefix, src: msg.srcs[i], final: msg.finals[i], size: msg.sizes[i], mtimeMs: msg.mtimes[i], overwrite: msg.overwrite[i] === 1, dev: msg.devs[i], ino: msg.inos[i] }
  const results = await copyAll(jobs, msg.stop, msg.fsync, msg.folders !== false)
  const kinds = new Uint8Array(n)
  const sizes = new Float64Array(n)
  const hashes = new BigUint64Array(n)
  const failures = []
  for (let i = 0; i < n; i++) {
    const r = results[i]
    if (r.ok) {
      sizes[i] = r.size
      hashes[i] = r.hash
    } else {
      const k = FAIL_KINDS.indexOf(r.kind)
      kinds[i] = k > 0 ? k : FAIL_KINDS.indexOf('dest')
      failures.push([i, r.code, r.message])
    }
  }
  parentPort.postMessage({ id: msg.id, kinds, sizes, hashes, failures }, [kinds.buffer, sizes.buffer, hashes.buffer])
}

async function runQueue(batch) {
  for (let at = 0; at < batch.length; at += SLICE) {
    const slice = batch.slice(at, at + SLICE)
    const out = []
    const copies = []
    for (const m of slice) {
      if (m.hashOnly) out.push(hashOne(m))
      else copies.push(m)
    }
    if (copies.length > 0) {
      const results = await copyAll(copies, null, copies.some((m) => m.fsync))
      copies.forEach((m, i) => out.push({ id: m.id, ...results[i] }))
    }
    parentPort.postMessage(out)
  }
}

// Messages at a time: while some wait for their flush (step 3 runs outside this thread), the next ones'
// files are read and written on this thread, so the disk and this thread both keep busy, and the next
// flush covers all of them. Each holds at most GROUP temporary files open. With fdatasync, more than two
// only queued on libuv's four threads; with syncfs, one flush serves them all (10,000 x 4 KB: 6 at a time
// made 120 flushes and took 1.69 s, 16 made 63 and took 1.41 s; the agent's limiter allows 32 batches).
const ACTIVE = SYNCFS ? 16 : 2
let active = 0
const waiting = []

async function take(msg) {
  try {
    await (Array.isArray(msg) ? runQueue(msg) : runBatch(msg))
  } catch (err) {
    // A bug, not a file's failure: every caller of this message learns of it rather than waiting for ever.
    const message = `copy worker failed: ${err && err.message ? err.message : String(err)}`
    if (Array.isArray(msg)) parentPort.postMessage(msg.map((m) => ({ id: m.id, ok: false, kind: 'dest', code: 'WORKER', message })))
    else parentPort.postMessage({ id: msg.id, ok: false, kind: 'dest', code: 'WORKER', message })
  } finally {
    active--
    const next = waiting.shift()
    if (next) {
      active++
      void take(next)
    }
  }
}

parentPort.on('message', (msg) => {
  if (msg.flushed !== undefined) return flushed(msg)
  if (active >= ACTIVE) return void waiting.push(msg)
  active++
  void take(msg)
})
