// Small-file copier for the file:// destination, run in worker threads. Plain JavaScript on purpose: it
// loads without a TypeScript loader in every runtime (agent, vitest, bench). One message = one whole
// file (read, hash, write to a temp name, set times, re-read and verify, rename) done with synchronous
// calls: for small files the cost is the number of async round trips, not the bytes, and this makes it
// one instead of about ten. Workers keep several files in flight for latency-bound sources (SMB).
import { parentPort } from 'node:worker_threads'
import fs from 'node:fs'
import xxhash from 'xxhash-wasm'

const api = await xxhash()
let buf = Buffer.allocUnsafe(1 << 16)

function fail(kind, err, extra) {
  const e = new Error(err && err.message ? err.message : String(err))
  e.kind = kind
  e.code = err && err.code ? err.code : ''
  Object.assign(e, extra)
  return e
}

function copy(m) {
  let fd
  try {
    fd = fs.openSync(m.src, 'r')
  } catch (err) {
    throw fail('source', err)
  }
  let n = 0
  let st
  try {
    if (buf.length < m.size + 1) buf = Buffer.allocUnsafe(m.size + 1)
    // Read one byte past the expected size: a file that grew is caught here.
    for (;;) {
      const r = fs.readSync(fd, buf, n, buf.length - n, n)
      if (r === 0) break
      n += r
      if (n === buf.length) break
    }
    st = fs.fstatSync(fd)
  } catch (err) {
    throw fail('source', err)
  } finally {
    fs.closeSync(fd)
  }
  if (n !== m.size || st.size !== m.size || Math.abs(st.mtimeMs - m.mtimeMs) > 1) throw fail('changed', 'changed while read')
  const data = buf.subarray(0, n)
  const hash = api.h64Raw(data)
  let created = false
  try {
    const out = fs.openSync(m.tmp, 'wx', 0o644)
    created = true
    try {
      let w = 0
      while (w < n) w += fs.writeSync(out, data, w, n - w, w)
      if (m.fsync) fs.fsyncSync(out)
      fs.futimesSync(out, Date.now() / 1000, m.mtimeMs / 1000)
    } finally {
      fs.closeSync(out)
    }
    // Verify what is on disk, not what we meant to write.
    if (api.h64Raw(fs.readFileSync(m.tmp)) !== hash) throw fail('verify', 'verification failed: the written copy differs from what was read')
    if (!m.overwrite) {
      let exists = true
      try {
        fs.lstatSync(m.final)
      } catch {
        exists = false
      }
      if (exists) throw fail('exists', 'appeared at the destination while copying')
    }
    fs.renameSync(m.tmp, m.final)
    created = false
    return { size: n, hash }
  } catch (err) {
    if (err.kind) throw err
    throw fail('dest', err)
  } finally {
    if (created) {
      try {
        fs.unlinkSync(m.tmp)
      } catch {}
    }
  }
}

parentPort.on('message', (m) => {
  try {
    const r = copy(m)
    parentPort.postMessage({ id: m.id, ok: true, size: r.size, hash: r.hash })
  } catch (err) {
    parentPort.postMessage({ id: m.id, ok: false, kind: err.kind || 'dest', code: err.code || '', message: err.message })
  }
})
