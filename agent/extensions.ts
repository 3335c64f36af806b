/**
 * What runs on top of the agent's core (host, replication, presence, control endpoint): the task
 * service, the lease scheduler driving the migration engine, item-result replication, the fleet-view
 * feed and the reports. The core calls `startExtensions` once it is up and `stop` before it shuts down.
 */
import fs from 'node:fs'
import path from 'node:path'
import pLimit from 'p-limit'
import type { Agent } from './agent.ts'
import { createTaskService } from './tasks/task-service.ts'
import { registerTaskControl } from './tasks/task-control.ts'
import { createScheduler } from './scheduler/scheduler.ts'
import { createCanRun } from './scheduler/can-run.ts'
import { createPresenceAdapter } from './scheduler/presence-adapter.ts'
import { createItemStore } from './items/store.ts'
import { createItemsSync } from './items-sync/items-sync.ts'
import { createEngineRunner } from './runner/engine-runner.ts'
import { createDestinationFactory } from './destinations/index.ts'
import { createSharePointFactory } from './destinations/sharepoint-factory.ts'
import { createFleetFeed } from './view/fleet-feed.ts'
import { waitingReasonFor } from './view/waiting-reason.ts'
import { registerReportControl } from './reports/report-control.ts'
import { loadCredentials } from './auth/credentials.ts'

export interface Extension {
  stop(): Promise<void>
}

const envNumber = (name: string): number | undefined => {
  const v = Number(process.env[name])
  return Number.isFinite(v) && v > 0 ? v : undefined
}

export async function startExtensions(agent: Agent): Promise<Extension> {
  const { ledger, presence, logger } = agent
  const self = agent.peerId
  const presenceAdapter = createPresenceAdapter(agent)

  let scheduler: ReturnType<typeof createScheduler> | null = null
  const tasks = createTaskService({
    ledger,
    signer: agent.signer,
    nextHlc: () => agent.nextHlc(),
    waitingReasonFor: (spec) => waitingReasonFor(spec, { self, ledger, presence, selfBlocked: () => scheduler?.blocked() ?? {}, selfFree: () => agent.capacity - (scheduler?.held().length ?? 0) }),
  })

  // Credentials are looked up now and then, not per scheduling decision: the check must stay cheap.
  let hasCredentials = (await loadCredentials(agent.dataDir).catch(() => null)) !== null
  const credTimer = setInterval(() => {
    loadCredentials(agent.dataDir)
      .then((c) => (hasCredentials = c !== null))
      .catch(() => (hasCredentials = false))
  }, 10_000)
  credTimer.unref()

  const items = createItemStore(agent.db)
  const itemsSync = createItemsSync({
    host: agent.host,
    store: items,
    self,
    logger,
    liveAgents: () => [...presence.peers().keys()].filter((id) => presence.isOnline(id)),
  })
  await itemsSync.start()

  const sharePoint = createSharePointFactory({ dataDir: agent.dataDir, logger, presence, version: agent.version })
  const openDestination = createDestinationFactory({ sharePoint: sharePoint.open })
  const runJob = createEngineRunner({
    device: agent.name,
    items,
    limiter: pLimit(envNumber('MMESH_AGENT_FILE_CONCURRENCY') ?? 32),
    openDestination,
    replicateItems: (taskId, round) => itemsSync.replicate(taskId, round),
    logger,
    tuning: {
      ...(envNumber('MMESH_CHECKPOINT_MS') ? { checkpointIntervalMs: envNumber('MMESH_CHECKPOINT_MS')! } : {}),
      ...(envNumber('MMESH_RETRY_INTERVAL_MS') ? { retryIntervalMs: envNumber('MMESH_RETRY_INTERVAL_MS')! } : {}),
    },
    ...(agent.testHooks && envNumber('MMESH_TEST_FILE_DELAY_MS') ? { fileDelayMs: envNumber('MMESH_TEST_FILE_DELAY_MS')! } : {}),
    // Chaos runs count how often each file was copied (DIR/copy-log.jsonl), test hooks only.
    ...(agent.testHooks ? { onCopied: (taskId: string, rel: string) => fs.appendFileSync(path.join(agent.dataDir, 'copy-log.jsonl'), `${JSON.stringify({ taskId, rel, agent: self, at: Date.now() })}\n`) } : {}),
  })

  const workLog = agent.testHooks ? path.join(agent.dataDir, 'work-log.jsonl') : null
  scheduler = createScheduler({
    self,
    group: agent.group,
    capacity: agent.capacity,
    leaseTtlMs: agent.leaseTtlMs,
    ledger,
    signer: agent.signer,
    presence: presenceAdapter,
    probe: (peer, ms) => agent.probe(peer, ms),
    canRun: createCanRun({ maps: agent.maps, hasSharePointCredentials: () => hasCredentials }),
    runJob,
    clock: { now: () => performance.now(), wall: () => new Date() },
    logger,
    options: {
      // A lower-ranked agent waits long enough for the first choice's claim, or its full/blocked heartbeat, to arrive.
      rankStepMs: Math.max(1500, 3 * presence.intervalMs),
      settleMaxMs: Math.max(10_000, 5 * presence.intervalMs),
      ...(envNumber('MMESH_RANK_STEP_MS') ? { rankStepMs: envNumber('MMESH_RANK_STEP_MS')! } : {}),
      ...(envNumber('MMESH_SETTLE_MS') ? { settleMs: envNumber('MMESH_SETTLE_MS')! } : {}),
      ...(envNumber('MMESH_CHECKPOINT_MS') ? { checkpointMs: envNumber('MMESH_CHECKPOINT_MS')! } : {}),
      ...(envNumber('MMESH_TICK_MS') ? { tickMs: envNumber('MMESH_TICK_MS')! } : {}),
    },
    ...(workLog ? { onWork: (e) => fs.appendFileSync(workLog, `${JSON.stringify({ ...e, agent: self })}\n`) } : {}),
  })

  registerTaskControl(agent.control, tasks)
  const feed = createFleetFeed({ self, ledger, presence, tasks, selfFields: () => presenceAdapter.ownFields() })
  agent.control.handle('fleet.snapshot', () => feed.snapshot())
  agent.control.handleStream('fleet.watch', (params, emit, signal) => {
    const interval = typeof params.intervalMs === 'number' ? Math.max(100, params.intervalMs) : 500
    feed.watch(emit, signal, interval)
  })
  registerReportControl(agent, { tasks, items, itemsSync })

  scheduler.start()
  return {
    async stop() {
      clearInterval(credTimer)
      await scheduler?.stop()
      presenceAdapter.stop()
      feed.stop()
      sharePoint.stop()
    },
  }
}
