// A scan worker for tests (given to the pool in place of agent/engine/scan-worker.js): it lists a folder
// as the real one does, and right after listing the folder named by $MMESH_TEST_SWAP — before the engine
// sees the listing — swaps entries of it for something else, as someone racing the agent on the share
// would. So the engine reads entries that are no longer what the listing said. Read per listing (the
// worker shares its process's environment); each swap is done once.
//
// MMESH_TEST_SWAP = JSON { dir, swaps: [{ name, to: 'symlink' | 'fifo' | 'file' | 'folder-link', target? }] }
//   symlink      the entry becomes a symbolic link to `target`
//   fifo         the entry becomes a FIFO (mkfifo)
//   file         the entry becomes another regular file (a new inode) holding `target` as text
// The entry swapped out is renamed to NAME.moved-away (after the listing, so the engine never sees it).
//   folder-link  the entry (a folder) is renamed away and a symbolic link to `target` takes its name
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { parentPort } from 'node:worker_threads'
import { answerListing } from '../../agent/engine/scan-list.js'

function swap(dir, s) {
  const at = path.join(dir, s.name)
  if (s.to === 'folder-link') {
    fs.renameSync(at, `${at}.moved-away`)
    fs.symlinkSync(s.target, at)
    return
  }
  // Renamed away, not deleted: the file system could hand its inode number straight to the new entry.
  fs.renameSync(at, `${at}.moved-away`)
  if (s.to === 'symlink') fs.symlinkSync(s.target, at)
  else if (s.to === 'fifo') execFileSync('mkfifo', [at])
  else if (s.to === 'file') fs.writeFileSync(at, s.target ?? 'another file')
}

parentPort.on('message', (m) => {
  const raw = process.env.MMESH_TEST_SWAP
  const plan = raw ? JSON.parse(raw) : null
  if (!plan || path.resolve(m.dir) !== path.resolve(plan.dir)) return answerListing(m, parentPort)
  // The listing goes to the pool only once the swaps are done: reply through a port that holds it back.
  const held = []
  answerListing(m, { postMessage: (msg, transfer) => held.push([msg, transfer]) })
  delete process.env.MMESH_TEST_SWAP
  for (const s of plan.swaps) swap(plan.dir, s)
  for (const [msg, transfer] of held) parentPort.postMessage(msg, transfer)
})
