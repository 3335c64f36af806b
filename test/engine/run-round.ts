/**
 * Runs one engine round in its own process and prints the result and records as JSON: for tests that must
 * run the engine as another user (root ignores permission bits). Usage: run-round.ts '<json args>'.
 */
import { Level } from 'level'
import { createFileDestination } from '../../agent/destinations/file.ts'
import { runTaskRound } from '../../agent/engine/round.ts'
import { createItemStore } from '../../agent/items/store.ts'
import { makeDeps, makeJob, recordsByRel } from './helpers.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as { sourceRoot: string; destRoot: string; dbDir: string; settings?: Record<string, unknown> }
const db = new Level<string, string>(args.dbDir)
await db.open()
const items = createItemStore(db)
const job = makeJob(args.sourceRoot, args.settings ?? {})
const { deps, rec } = makeDeps(createFileDestination({ rootDir: args.destRoot, library: 'Documents', folder: null }), items, { tuning: { retryIntervalMs: 20 } })
const result = await runTaskRound(job, deps)
const records = Object.fromEntries(await recordsByRel(items, job))
await db.close()
process.stdout.write(JSON.stringify({ result, records, waiting: rec.progress.filter((p) => p.phase === 'waiting').length }))
