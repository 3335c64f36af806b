import { describe, expect, it } from 'vitest'
import { deriveTask, deriveTaskJson } from './status.ts'
import { DEFAULT_SETTINGS } from './settings.ts'
import { formatHlc } from './hlc.ts'
import { TestKeyring, fakeAgentId, makeReplica, syncAll, type Replica } from '../test/fixtures/ledger-replicas.ts'
import type { RecordSigner } from './ledger.ts'
import { ZERO_COUNTS } from './records.ts'
import type { Assessment } from './assessment.ts'

const A = fakeAgentId(1)
const B = fakeAgentId(2)

function setup() {
  const keyring = new TestKeyring()
  const ra = makeReplica(1, keyring)
  const rb = makeReplica(2, keyring)
  const sa = keyring.signer(A)
  const sb = keyring.signer(B)
  ra.ledger.addTasks(sa, [
    {
      id: 'task-1',
      name: 'dept',
      source: '\\\\fs01\\dept',
      destination: { url: 'file:///tmp/dst', library: null, folder: null },
      group: 'Default',
      settings: { ScanOnly: true },
      createdAt: '2026-01-01T00:00:00.000Z',
      createdBy: A,
    },
  ])
  syncAll([ra, rb])
  return { ra, rb, sa, sb }
}

const view = (r: Replica) =>
  deriveTask(
    { spec: r.ledger.task('task-1')!, commands: r.ledger.commandsFor('task-1'), claims: r.ledger.claimsFor('task-1'), outcomes: r.ledger.outcomesFor('task-1') },
    DEFAULT_SETTINGS,
  )

function cmd(r: Replica, by: string, kind: 'task.pause' | 'task.resume' | 'task.rerun' | 'task.cancel', wallMs: number) {
  r.ledger.addCommand(r.keyring.signer(by), { kind, target: 'task-1', hlc: formatHlc({ wallMs, counter: 0, node: by }) })
}

function holdAndReport(r: Replica, s: RecordSigner, phase: 'scanning' | 'in-progress' | 'completed' | 'failed', round = 0, epoch = 1, assessment?: Assessment) {
  r.ledger.putClaim(s, { taskId: 'task-1', agent: s.agentId, epoch, round, at: '2026-01-01T00:01:00.000Z', released: phase === 'completed' || phase === 'failed' })
  r.ledger.putOutcome(s, {
    taskId: 'task-1',
    agent: s.agentId,
    round,
    epoch,
    phase,
    counts: { ...ZERO_COUNTS, scanned: 10, toMigrate: 10, migrated: phase === 'completed' ? 10 : 3 },
    bytes: { total: 100, migrated: phase === 'completed' ? 100 : 30 },
    startedAt: '2026-01-01T00:01:00.000Z',
    finishedAt: phase === 'completed' || phase === 'failed' ? '2026-01-01T00:02:00.000Z' : null,
    failureReason: phase === 'failed' ? 'destination unreachable' : null,
    waitingReason: null,
    itemReplicas: [],
    ...(assessment ? { assessment } : {}),
  })
}

const scanned = (round: number, files: number): Assessment => ({
  round, dataSize: files * 10, files, folders: 1, maxPathLength: 20, maxPath: '/dst/a/b', rootPermissions: 3, lastAccessed: null, created: null,
  readiness: 'Ready', readinessReason: null, warnings: 0, errors: 0, destinationCheck: { ok: true, message: 'ok' }, modifiedYears: { '2024': files },
})

describe('deriveTask', () => {
  it('walks queued → scanning → in-progress → completed with counts and settings', () => {
    const { ra, sa } = setup()
    expect(view(ra).status).toBe('queued')
    expect(view(ra).settings.ScanOnly).toBe(true)
    ra.ledger.putClaim(sa, { taskId: 'task-1', agent: A, epoch: 1, round: 0, at: '2026-01-01T00:01:00.000Z', released: false })
    expect(view(ra).status).toBe('scanning')
    expect(view(ra).agent).toBe(A)
    holdAndReport(ra, sa, 'in-progress')
    expect(view(ra).status).toBe('in-progress')
    holdAndReport(ra, sa, 'completed')
    const v = view(ra)
    expect(v.status).toBe('completed')
    expect(v.counts.migrated).toBe(10)
    expect(v.finishedAt).toBe('2026-01-01T00:02:00.000Z')
  })

  it('a pause issued on one agent while the holder completes on another ends completed on both', () => {
    const { ra, rb, sb } = setup()
    holdAndReport(rb, sb, 'in-progress')
    syncAll([ra, rb])
    cmd(ra, A, 'task.pause', 1000) // A has not yet seen the completion
    holdAndReport(rb, sb, 'completed')
    syncAll([ra, rb])
    expect(view(ra).status).toBe('completed')
    expect(view(rb).status).toBe('completed')
  })

  it('a cancel racing a claim ends cancelled on both, and the claimant is not the holder of a running task', () => {
    const { ra, rb, sb } = setup()
    cmd(ra, A, 'task.cancel', 1000)
    rb.ledger.putClaim(sb, { taskId: 'task-1', agent: B, epoch: 1, round: 0, at: '2026-01-01T00:01:00.000Z', released: false })
    syncAll([ra, rb])
    expect(view(ra).status).toBe('cancelled')
    expect(view(rb).status).toBe('cancelled')
  })

  it('pause and resume fold by HLC order, not by arrival order', () => {
    const { ra, rb } = setup()
    cmd(rb, B, 'task.resume', 2000)
    cmd(ra, A, 'task.pause', 1000)
    syncAll([ra, rb])
    expect(view(ra).status).toBe('queued')
    expect(view(rb).status).toBe('queued')
  })

  it('rerun of a completed task starts round 1, queued, and clears the counters of round 0', () => {
    const { ra, sa } = setup()
    holdAndReport(ra, sa, 'completed')
    cmd(ra, A, 'task.rerun', 5000)
    const v = view(ra)
    expect(v.round).toBe(1)
    expect(v.status).toBe('queued')
    expect(v.counts.migrated).toBe(0)
  })

  it('a failed round is failed with its reason; rerun lifts it', () => {
    const { ra, sa } = setup()
    holdAndReport(ra, sa, 'failed')
    expect(view(ra).status).toBe('failed')
    expect(view(ra).failureReason).toBe('destination unreachable')
    cmd(ra, A, 'task.rerun', 5000)
    expect(view(ra).status).toBe('queued')
  })

  it('a takeover shows the new holder and the timeline says so', () => {
    const { ra, sa, sb } = setup()
    ra.ledger.putClaim(sa, { taskId: 'task-1', agent: A, epoch: 1, round: 0, at: '2026-01-01T00:01:00.000Z', released: false })
    ra.ledger.putClaim(sb, { taskId: 'task-1', agent: B, epoch: 2, round: 0, at: '2026-01-01T00:03:00.000Z', released: false })
    const v = view(ra)
    expect(v.agent).toBe(B)
    expect(v.epoch).toBe(2)
    expect(v.timeline.some((t) => t.what.startsWith(`taken over by ${B}`))).toBe(true)
  })

  it('deriveTaskJson (task list) gives exactly the JSON fields of deriveTask, in the same order, at every stage', () => {
    const { ra, sa, sb } = setup()
    const json = (r: Replica) => deriveTaskJson({ spec: r.ledger.task('task-1')!, commands: r.ledger.commandsFor('task-1'), claims: r.ledger.claimsFor('task-1'), outcomes: r.ledger.outcomesFor('task-1') })
    const contract = (r: Replica) => {
      const { epoch: _e, settings: _s, overrides: _o, timeline: _t, itemHolders: _i, recentFailures: _r, assessment: _a, ...rest } = view(r)
      return JSON.stringify(rest)
    }
    const stages: (() => void)[] = [
      () => {},
      () => holdAndReport(ra, sa, 'in-progress'),
      () => cmd(ra, A, 'task.pause', 3000),
      () => ra.ledger.putClaim(sb, { taskId: 'task-1', agent: B, epoch: 2, round: 0, at: '2026-01-01T00:03:00.000Z', released: false }),
      () => holdAndReport(ra, sb, 'failed', 0, 2),
      () => cmd(ra, A, 'task.rerun', 5000),
      () => holdAndReport(ra, sa, 'completed', 1, 3),
    ]
    for (const stage of stages) {
      stage()
      expect(JSON.stringify(json(ra))).toBe(contract(ra))
    }
    expect(json(ra).status).toBe('completed')
  })

  it('shows the latest scan: the newest round that has one, signed in the outcome and replicated', () => {
    const { ra, rb, sa, sb } = setup()
    expect(view(ra).assessment).toBeNull()
    holdAndReport(ra, sa, 'completed', 0, 1, scanned(0, 7))
    expect(view(ra).assessment).toEqual(scanned(0, 7))
    // a rerun still running shows the previous scan, with its round
    cmd(ra, A, 'task.rerun', 5000)
    holdAndReport(ra, sb, 'in-progress', 1, 2)
    expect(view(ra).assessment).toEqual(scanned(0, 7))
    holdAndReport(ra, sb, 'completed', 1, 2, scanned(1, 9))
    expect(view(ra).assessment).toEqual(scanned(1, 9))
    // another replica reads it from the signed record
    syncAll([ra, rb])
    expect(view(rb).assessment).toEqual(scanned(1, 9))
  })
})
