/**
 * The cost of a scheduling pass: a pass that a ledger change brings looks at the tasks the change touched,
 * not at every open task (with 1,000 queued tasks a pass per change was most of a 30-agent fleet's CPU);
 * the periodic pass still looks at all of them. Driven in-process: a real ledger with real signatures, a
 * presence where this agent is alone, and a canRun that counts which tasks it was asked about.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import pino from 'pino'
import { Ledger } from '../../protocol/ledger.ts'
import { ZERO_COUNTS } from '../../protocol/records.ts'
import type { TaskSpec } from '../../protocol/records.ts'
import { TestKeyring, fakeAgentId, taskDraft } from '../../test/fixtures/ledger-replicas.ts'
import { createScheduler, type Scheduler } from './scheduler.ts'
import type { CanRunResult, Job, JobControls, JobResult, SchedulerPresence } from './types.ts'

const TASKS = 200
const ME = fakeAgentId(1)
const OTHER = fakeAgentId(2)

function alonePresence(doc: Y.Doc): SchedulerPresence {
  return {
    liveAgents: () => [],
    silentForMs: () => undefined,
    publish: () => {},
    localClock: () => Y.getState(doc.store, doc.clientID),
    selfClient: () => doc.clientID,
    peerStateVector: () => null,
    localCovers: () => true,
  }
}

let scheduler: Scheduler | null = null
afterEach(async () => {
  await scheduler?.stop()
  scheduler = null
})

function setUp(tickMs: number) {
  const keyring = new TestKeyring()
  const doc = new Y.Doc()
  const ledger = new Ledger(doc, { verify: keyring.verify })
  const other = keyring.signer(OTHER)
  ledger.addTasks(other, Array.from({ length: TASKS }, (_, i) => taskDraft(`task-${i}`)))
  /** task ids canRun was asked about, in order */
  const asked: string[] = []
  const runnable = new Set<string>()
  const started: string[] = []
  const canRun = (spec: TaskSpec): CanRunResult => {
    asked.push(spec.id)
    return runnable.has(spec.id) ? { ok: true, sourceRoot: spec.source } : { ok: false, reason: 'not here (test)' }
  }
  const runJob = (job: Job, controls: JobControls) => {
    started.push(job.taskId)
    return new Promise<JobResult>((resolve) =>
      controls.signal.addEventListener('abort', () => resolve({ phase: 'aborted', counts: ZERO_COUNTS, bytes: { total: 0, migrated: 0 }, failureReason: null }), { once: true }),
    )
  }
  scheduler = createScheduler({
    self: ME, group: 'Default', capacity: 5, leaseTtlMs: 3000, ledger, signer: keyring.signer(ME), presence: alonePresence(doc),
    probe: async () => false, canRun, runJob, clock: { now: () => performance.now(), wall: () => new Date() },
    logger: pino({ level: 'silent' }), options: { tickMs },
  })
  return { ledger, other, asked, runnable, started }
}

describe('scheduler passes', () => {
  it('a ledger change touching one task makes a pass over that task only; the periodic pass sees all', async () => {
    const { ledger, other, asked, runnable, started } = setUp(60_000)
    scheduler!.start()
    // the first pass is a full one: every open task is looked at (and found not runnable here)
    await vi.waitFor(() => expect(new Set(asked).size).toBe(TASKS), { timeout: 10_000, interval: 20 })
    await new Promise((r) => setTimeout(r, 100))
    asked.length = 0
    // task-7 becomes runnable here, and a change touches it alone (another agent let go of its claim)
    runnable.add('task-7')
    ledger.putClaim(other, { taskId: 'task-7', agent: OTHER, epoch: 1, round: 0, at: new Date().toISOString(), released: true })
    await vi.waitFor(() => expect(started).toEqual(['task-7']), { timeout: 10_000, interval: 20 })
    expect(new Set(asked)).toEqual(new Set(['task-7']))
  })

  it('the periodic pass looks at every open task again', async () => {
    const { asked } = setUp(200)
    scheduler!.start()
    await vi.waitFor(() => expect(new Set(asked).size).toBe(TASKS), { timeout: 10_000, interval: 20 })
    const first = asked.length
    // with no ledger change at all, the timer's passes ask about every task again
    await vi.waitFor(() => expect(asked.length).toBeGreaterThanOrEqual(first + TASKS), { timeout: 10_000, interval: 20 })
  })
})
