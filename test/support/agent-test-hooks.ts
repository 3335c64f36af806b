/**
 * The hooks test agents run with (test-agent.ts plugs them into the agent's composition root): a
 * connection gate that splits fleets, `test.*` control methods (block peers, write many records, plant
 * bad input), slowed and counted destinations, a work log. Each agent's environment tunes them:
 *   MMESH_TEST_ISOLATED=1       start cut off from every peer (read what was restored, alone) until test.unblock
 *   MMESH_TEST_LEDGER_HELD=1    start connected (heartbeats flow) but replicating no ledger until test.unblock
 *                               (test.holdLedger does the same on a running agent)
 *   MMESH_TEST_FILE_DELAY_MS=N  pause N ms before each file is written (a kill or a split lands mid-task)
 *   MMESH_TEST_SCAN_STALL=NAME  a source folder of that name never finishes listing (stalling-scan-worker.js)
 *   MMESH_TEST_CORE_ONLY=1      the agent's core alone: no scheduler, engine, tasks or reports
 * Always on: DIR/copy-log.jsonl (every file a put committed, for the chaos checks), DIR/put-log.jsonl
 * (every put begun: one begun and never committed was abandoned mid-copy) and DIR/work-log.jsonl (start
 * and stop of work per task, for the lease checks).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import * as Y from 'yjs'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { canonicalJson, SCHEMA_VERSION, type CommandKind, type TaskSpec } from '../../protocol/records.ts'
import { formatHlc } from '../../protocol/hlc.ts'
import { MAP_NAMES, type MapName } from '../../protocol/ledger.ts'
import { LEDGER_TOPIC, SYNC_PARTS_PROTOCOL, SYNC_PROTOCOL } from '../../protocol/wire.ts'
import { ControlError } from '../../agent/control/server.ts'
import { TestGate } from './gate.ts'
import { counted, slowed, started } from './test-destinations.ts'
import type { AgentComponents, AgentPlugins } from '../../agent/plugins.ts'

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v === '') throw new ControlError(`${what} must be a non-empty string`)
  return v
}
const strs = (v: unknown, what: string): string[] => {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ControlError(`${what} must be a list of strings`)
  return v as string[]
}
const mapName = (v: unknown): MapName => {
  if (!MAP_NAMES.includes(v as MapName)) throw new ControlError(`map must be one of ${MAP_NAMES.join(', ')}`)
  return v as MapName
}

export function taskFixture(agent: Pick<AgentComponents, 'peerId'>, id: string, i: number): Omit<TaskSpec, 'v'> {
  return {
    id,
    name: `task ${i}`,
    source: `\\\\fs01\\share\\dept${i}`,
    destination: { url: 'https://contoso.sharepoint.com/sites/dev', library: 'Documents', folder: null },
    group: 'Default',
    settings: {},
    createdAt: new Date().toISOString(),
    createdBy: agent.peerId,
  }
}

/** Content hash of the ledger (raw records, every map, sorted keys): equal content ⇔ equal hash. */
export function ledgerContentHash(agent: Pick<AgentComponents, 'ledger'>): string {
  return crypto.createHash('sha256').update(canonicalJson(agent.ledger.toJSON())).digest('hex')
}

/** The test agent's plugins, tuned by `env` (see above). */
export function testAgentPlugins(env: NodeJS.ProcessEnv = process.env): AgentPlugins {
  const gate = new TestGate()
  if (env.MMESH_TEST_ISOLATED === '1') gate.blockAll = true
  if (env.MMESH_TEST_LEDGER_HELD === '1') gate.ledgerHeld = true
  const delayMs = Number(env.MMESH_TEST_FILE_DELAY_MS)
  return {
    peerGate: { gater: gate.gater(), isBlocked: (p) => gate.isBlocked(p), isLedgerBlocked: () => gate.ledgerHeld },
    coreOnly: env.MMESH_TEST_CORE_ONLY === '1',
    attach(agent) {
      registerTestControl(agent, gate)
      gate.onUnblock = () => agent.dialer.resetBackoff()
      const copyLog = path.join(agent.dataDir, 'copy-log.jsonl')
      const workLog = path.join(agent.dataDir, 'work-log.jsonl')
      const putLog = path.join(agent.dataDir, 'put-log.jsonl')
      return {
        wrapDestination: (dest, taskId) => {
          const d = Number.isFinite(delayMs) && delayMs > 0 ? slowed(dest, delayMs) : dest
          const c = counted(d, (rel) => fs.appendFileSync(copyLog, `${JSON.stringify({ taskId, rel, agent: agent.peerId, at: Date.now() })}\n`))
          return started(c, (rel) => fs.appendFileSync(putLog, `${JSON.stringify({ taskId, rel, agent: agent.peerId, at: Date.now() })}\n`))
        },
        onWork: (e) => fs.appendFileSync(workLog, `${JSON.stringify({ ...e, agent: agent.peerId })}\n`),
        ...(env.MMESH_TEST_SCAN_STALL ? { scanWorker: new URL('./stalling-scan-worker.js', import.meta.url) } : {}),
      }
    },
  }
}

/** The test.* methods: outside the typed control API (api/methods.ts), so registered untyped. */
function registerTestControl(agent: AgentComponents, gate: TestGate): void {
  const c = agent.control
  c.handleUntyped('test.block', async (params) => {
    const peers = strs(params.peers, 'peers')
    for (const p of peers) gate.blocked.add(p)
    await Promise.all(peers.map((p) => agent.host.hangUp(peerIdFromString(p)).catch(() => {})))
    return { blocked: [...gate.blocked] }
  })
  // Heartbeats keep flowing, ledger replication stops (as MMESH_TEST_LEDGER_HELD=1, but on a running agent):
  // a peer that is live yet sees none of our claims, the slow replication of a loaded machine made lasting.
  c.handleUntyped('test.holdLedger', () => {
    gate.ledgerHeld = true
    return { held: true }
  })
  c.handleUntyped('test.unblock', (params) => {
    const peers = params.peers === undefined ? [...gate.blocked] : strs(params.peers, 'peers')
    if (params.peers === undefined) {
      gate.blockAll = false
      gate.ledgerHeld = false
    }
    for (const p of peers) gate.blocked.delete(p)
    gate.onUnblock()
    return { blocked: [...gate.blocked] }
  })
  c.handleUntyped('test.writeRecords', async (params) => {
    const count = Number(params.count)
    if (!Number.isInteger(count) || count < 1 || count > 200_000) throw new ControlError('count must be 1..200000')
    const prefix = typeof params.prefix === 'string' ? params.prefix : `t${agent.peerId.slice(-6)}`
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
    if (params.separate === true) {
      ids.forEach((id, i) => agent.ledger.addTasks(agent.signer, [taskFixture(agent, id, i)]))
    } else {
      agent.ledger.addTasks(agent.signer, ids.map((id, i) => taskFixture(agent, id, i)))
    }
    await agent.flush()
    return { written: count, first: ids[0], last: ids[ids.length - 1] }
  })
  c.handleUntyped('test.deleteRecords', async (params) => {
    const map = mapName(params.map ?? 'tasks')
    const keys = strs(params.keys, 'keys')
    agent.ledger.doc.transact(() => {
      const m = agent.ledger.doc.getMap(map)
      for (const k of keys) m.delete(k)
    })
    await agent.flush()
    return { deleted: keys.length }
  })
  c.handleUntyped('test.writeRaw', async (params) => {
    agent.ledger.writeRaw(mapName(params.map), str(params.key, 'key'), params.value)
    await agent.flush()
    return { ok: true }
  })
  // Records as a fleet member could write them straight into the ledger, signed by this agent, past the
  // checks of `task add` and the CLI: the attacks of test/security/ (issue 15).
  c.handleUntyped('test.signedTask', async (params) => {
    const spec = (params.spec ?? {}) as Partial<TaskSpec>
    const id = typeof spec.id === 'string' ? spec.id : crypto.randomUUID()
    agent.ledger.addTasks(agent.signer, [{
      name: 'planted', group: 'Default', settings: {}, createdAt: new Date().toISOString(),
      ...spec,
      id,
      source: str(spec.source, 'spec.source'),
      destination: spec.destination ?? { url: '', library: null, folder: null },
    }])
    await agent.flush()
    return { id }
  })
  c.handleUntyped('test.signedCommand', async (params) => {
    // `wallMs`: the clock value's wall time (e.g. years ahead); the rest of the HLC is this agent's own.
    const wallMs = Number(params.wallMs ?? Date.now())
    if (!Number.isSafeInteger(wallMs) || wallMs < 0) throw new ControlError('wallMs must be a time in ms')
    const hlc = typeof params.hlc === 'string' ? params.hlc : formatHlc({ wallMs, counter: 0, node: agent.peerId })
    const kind = str(params.kind, 'kind') as CommandKind
    agent.ledger.addCommand(agent.signer, { kind, target: str(params.target, 'target'), hlc, ...(params.value === undefined ? {} : { value: params.value }) })
    await agent.flush()
    return { key: `${agent.peerId}/${hlc}`, hlc }
  })
  c.handleUntyped('test.presenceField', (params) => {
    agent.setPresenceField(str(params.key, 'key'), params.value ?? undefined)
    return { ok: true }
  })
  c.handleUntyped('test.read', (params) => {
    const map = mapName(params.map)
    const key = str(params.key, 'key')
    const raw = agent.ledger.doc.getMap(map).get(key) ?? null
    const typed = map === 'tasks' ? (agent.ledger.task(key) ?? null) : map === 'agents' ? (agent.ledger.agent(key) ?? null) : null
    return { raw, typed }
  })
  c.handleUntyped('test.ledger', async (params) => {
    // stored: what it holds is on disk first (a kill -9 loses what was applied and not yet stored)
    if (params.stored === true) await agent.replicator.flush()
    return {
      hash: ledgerContentHash(agent),
      sizes: agent.ledger.sizes(),
      validTasks: agent.ledger.tasks().length,
      ...(params.full === true ? { content: agent.ledger.toJSON() } : {}),
    }
  })
  c.handleUntyped('test.publishRaw', async (params) => {
    const data = Buffer.from(str(params.base64, 'base64'), 'base64')
    const topic = typeof params.topic === 'string' ? params.topic : LEDGER_TOPIC
    await agent.host.services.pubsub.publish(topic, data)
    return { bytes: data.byteLength }
  })
  c.handleUntyped('test.garbageSync', async (params) => {
    // Open a sync stream (or a sync-parts stream) to a peer and send frames that are not a valid exchange.
    const protocol = params.protocol === 'sync-parts' ? SYNC_PARTS_PROTOCOL : SYNC_PROTOCOL
    const stream = await agent.host.dialProtocol(peerIdFromString(str(params.peer, 'peer')), protocol, { signal: AbortSignal.timeout(5000) })
    const lp = lpStream(stream)
    const frames = params.frames === undefined ? [crypto.randomBytes(64).toString('base64')] : strs(params.frames, 'frames')
    for (const f of frames) await lp.write(Buffer.from(f, 'base64'))
    await stream.close().catch(() => {})
    return { sent: frames.length }
  })
  c.handleUntyped('test.withoutSyncParts', async () => {
    // As an agent from before catch-ups in parts: peers find no such protocol and send one update.
    await agent.host.unhandle(SYNC_PARTS_PROTOCOL)
    return { ok: true }
  })
  c.handleUntyped('test.applyRaw', (params) => {
    // As if an update had arrived from a peer: exercises the same guarded path.
    const ok = agent.replicator.applyRemote(Buffer.from(str(params.base64, 'base64'), 'base64'), 'test')
    return { applied: ok }
  })
  c.handleUntyped('test.encodeUpdate', () => Buffer.from(Y.encodeStateAsUpdate(agent.ledger.doc)).toString('base64'))
  c.handleUntyped('test.schemaVersion', () => SCHEMA_VERSION)
}
