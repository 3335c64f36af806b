// The scan worker: a thread that lists source folders for the pool (scan-pool.ts), one request at a time;
// the listing itself is scan-list.js. Plain JavaScript so it loads without a TypeScript loader.
import { parentPort } from 'node:worker_threads'
import { answerListing } from './scan-list.js'

parentPort.on('message', (m) => answerListing(m, parentPort))
