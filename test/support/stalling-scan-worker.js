// A scan worker for tests (given to the pool in place of agent/engine/scan-worker.js): a folder named
// $MMESH_TEST_SCAN_STALL never finishes listing, like one on a server that stopped answering, so the
// pool's stall watchdog must notice. Read per listing: the worker shares the environment of its process.
import { parentPort } from 'node:worker_threads'
import path from 'node:path'
import { answerListing } from '../../agent/engine/scan-list.js'

parentPort.on('message', (m) => {
  const stall = process.env.MMESH_TEST_SCAN_STALL || ''
  if (stall && path.basename(m.dir) === stall) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
  answerListing(m, parentPort)
})
