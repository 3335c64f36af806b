/**
 * The services above the agent's core: the task service, the lease scheduler driving the migration
 * engine, item-result replication, the SharePoint destinations and the fleet-view feed. Each gets only
 * the pieces it uses; the composition root (agent.ts) gives them those, registers their control
 * methods and stops them before the core.
 */
import pLimit from 'p-limit'
import type { Logger } from 'pino'
import type { Ledger, RecordSigner } from '../protocol/ledger.ts'
import type { PathMap } from './config/agent-config.ts'
import type { AgentEnv } from './config/env.ts'
import type { Host } from './host/host.ts'
import type { Presence } from './presence/presence.ts'
import type { RootDb } from './persistence/store.ts'
import { createTaskService, type TaskService } from './tasks/task-service.ts'
import { createScheduler } from './scheduler/scheduler.ts'
import { createCanRun } from './scheduler/can-run.ts'
import { checkTaskAccess } from './scheduler/task-access.ts'
import type { AccessPolicy } from '../protocol/access.ts'
import { createPresenceAdapter } from './scheduler/presence-adapter.ts'
import { createItemStore, type ItemStore } from './items/store.ts'
import { createItemsSync, type ItemsSync } from './items-sync/items-sync.ts'
import { createEngineRunner } from './runner/engine-runner.ts'
import { createDestinationFactory } from './destinations/index.ts'
import { createSharePointFactory } from './destinations/sharepoint-factory.ts'
import { createTenantBudget } from './destinations/tenant-budget.ts'
import { createDiskGuard } from './disk-guard.ts'
import { foldAgentEnabled, foldSettings } from '../protocol/intent.ts'
import { createFleetFeed, type FleetFeed } from './view/fleet-feed.ts'
import { waitingReasonFor } from './view/waiting-reason.ts'
import { loadCredentials } from './auth/credentials.ts'
import { loadDelegatedConfig } from './auth/device-code.ts'
import type { ServiceHooks } from './plugins.ts'
import { createUserMapSource } from './usermap/user-map-source.ts'
import { createUserMapService, type UserMapService } from './usermap/usermap-service.ts'
import type { AgentProfileWatch } from './agent-profile.ts'
import { createTokenBucket } from './throttle/token-bucket.ts'

export interface ServiceDeps {
  /** this agent's peer id */
  self: string
  /** this agent's settings */
  agent: { name: string; group: string; capacity: number; leaseTtlMs: number; maps: PathMap[]; access: AccessPolicy; dataDir: string; version: string; minFreeMb?: number }
  ledger: Ledger
  signer: RecordSigner
  presence: Presence
  host: Host
  db: RootDb
  /** records an agent is behind (core's catch-up meter) */
  catchingUp(agentId: string): number | null
  /** group, capacity, work window and bandwidth limit in force (agent-profile.ts) */
  profile?: AgentProfileWatch
  nextHlc(): string
  probe(peerId: string, timeoutMs: number): Promise<boolean>
  env: AgentEnv
  logger: Logger
  hooks?: ServiceHooks
}

export interface Services {
  tasks: TaskService
  usermap: UserMapService
  items: ItemStore
  itemsSync: ItemsSync
  feed: FleetFeed
  /** starts scheduling (after the control methods are registered) */
  start(): void
  stop(): Promise<void>
}

/**
 * Credentials are looked up now and then, not per scheduling decision: the check must stay cheap. Either
 * kind counts: app-only (auth set, MMESH_* variables) or a device-code sign-in (auth login), as the token
 * provider (auth/index.ts) uses whichever is there; its tenant is what the fleet's request budget is shared by.
 */
async function watchCredentials(dataDir: string): Promise<{ has(): boolean; tenant(): string | null; stop(): void }> {
  const look = async (): Promise<string | null> =>
    (await loadCredentials(dataDir).catch(() => null))?.tenantId ?? (await loadDelegatedConfig(dataDir).catch(() => null))?.tenantId ?? null
  let tenant = await look()
  const timer = setInterval(() => {
    look()
      .then((t) => (tenant = t))
      .catch(() => (tenant = null))
  }, 10_000)
  timer.unref()
  return { has: () => tenant !== null, tenant: () => tenant, stop: () => clearInterval(timer) }
}

export async function startServices(deps: ServiceDeps): Promise<Services> {
  const { self, agent, ledger, presence, logger, env, hooks } = deps
  const presenceAdapter = createPresenceAdapter({ presence, doc: ledger.doc })

  let scheduler: ReturnType<typeof createScheduler> | null = null
  const tasks = createTaskService({
    ledger,
    signer: deps.signer,
    nextHlc: deps.nextHlc,
    waitingReasonFor: (spec) => waitingReasonFor(spec, { self, ledger, presence, selfBlocked: () => scheduler?.blocked() ?? {}, selfFree: () => (deps.profile?.current().capacity ?? agent.capacity) - (scheduler?.held().length ?? 0) }),
    isOnline: (id) => id === self || presence.isOnline(id),
    // the feed is made below; `task show` asks only once the agent serves requests
    liveFor: (taskId) => feed.live()[taskId],
  })
  const credentials = await watchCredentials(agent.dataDir)

  const items = createItemStore(deps.db)
  const itemsSync = createItemsSync({
    host: deps.host,
    store: items,
    self,
    logger,
    liveAgents: () => [...presence.peers().keys()].filter((id) => presence.isOnline(id)),
  })
  await itemsSync.start()

  // One bandwidth limit for the whole agent, whichever destination a task copies to.
  const throttle = createTokenBucket({ rate: () => deps.profile?.bytesPerSecond() ?? null })
  const budget = createTenantBudget({
    presence,
    budget: () => foldSettings(ledger.commands().filter((c) => c.kind === 'settings.set')).TenantRequestsPerMinute,
    tenant: credentials.tenant,
    enabled: (id) => foldAgentEnabled(ledger.commandsFor(id)),
  })
  budget.publish()
  const budgetTimer = setInterval(() => budget.publish(), 10_000)
  budgetTimer.unref()
  const userMaps = createUserMapSource({ dataDir: agent.dataDir, ledger, logger, setPresenceField: (k, v) => presence.setField(k, v) })
  const usermap = createUserMapService({ ledger, signer: deps.signer, nextHlc: deps.nextHlc, task: (id) => tasks.show(id) })
  const sharePoint = createSharePointFactory({ dataDir: agent.dataDir, logger, presence, version: agent.version, userMapping: userMaps.current, sharePointRootUrl: () => tasks.globals().SharePointRootUrl, requestsPerMinute: budget.perMinute, throttle })
  const runJob = createEngineRunner({
    device: agent.name,
    items,
    limiter: pLimit(env.agentFileConcurrency),
    // The agent id tags its file:// temporary files, so cleanup after a crash deletes only this agent's own.
    openDestination: createDestinationFactory({ sharePoint: sharePoint.open, tempTag: self, throttle }),
    replicateItems: (taskId, round) => itemsSync.replicate(taskId, round),
    logger,
    tuning: {
      ...(env.checkpointMs ? { checkpointIntervalMs: env.checkpointMs } : {}),
      ...(env.retryIntervalMs ? { retryIntervalMs: env.retryIntervalMs } : {}),
    },
    ...(hooks?.wrapDestination ? { wrapDestination: hooks.wrapDestination } : {}),
    ...(hooks?.scanWorker ? { scanWorker: hooks.scanWorker } : {}),
    // Fresh every round, uncached: the scheduler's answer may be seconds old.
    checkAccess: (spec) => checkTaskAccess(spec, { maps: agent.maps, policy: agent.access, platform: process.platform === 'win32' ? 'win32' : 'posix' }),
  })

  const disk = createDiskGuard({ dataDir: agent.dataDir, minFreeMb: agent.minFreeMb ?? 0, logger })
  await disk.start()

  scheduler = createScheduler({
    self,
    group: agent.group,
    capacity: agent.capacity,
    ...(deps.profile ? { profile: deps.profile.current, workWindow: deps.profile.window } : {}),
    leaseTtlMs: agent.leaseTtlMs,
    ledger,
    signer: deps.signer,
    presence: presenceAdapter,
    probe: deps.probe,
    canRun: createCanRun({ maps: agent.maps, policy: agent.access, hasSharePointCredentials: credentials.has }),
    runJob,
    clock: { now: () => performance.now(), wall: () => new Date() },
    logger,
    options: {
      // A lower-ranked agent waits long enough for the first choice's claim, or its full/blocked heartbeat, to arrive.
      rankStepMs: env.rankStepMs ?? Math.max(1500, 3 * presence.intervalMs),
      settleMaxMs: Math.max(10_000, 5 * presence.intervalMs),
      ...(env.settleMs ? { settleMs: env.settleMs } : {}),
      ...(env.checkpointMs ? { checkpointMs: env.checkpointMs } : {}),
      ...(env.tickMs ? { tickMs: env.tickMs } : {}),
    },
    ...(hooks?.onWork ? { onWork: hooks.onWork } : {}),
    claimBlock: disk.reason,
  })

  const feed = createFleetFeed({ self, ledger, presence, tasks, selfFields: () => presenceAdapter.ownFields(), catchingUp: deps.catchingUp, ...(deps.profile ? { groups: deps.profile.groups } : {}) })
  const running = scheduler
  return {
    tasks, usermap, items, itemsSync, feed,
    start: () => running.start(),
    async stop() {
      credentials.stop()
      disk.stop()
      clearInterval(budgetTimer)
      await running.stop()
      presenceAdapter.stop()
      feed.stop()
      sharePoint.stop()
      userMaps.stop()
    },
  }
}
