/**
 * Test-only control methods (MMESH_TEST_HOOKS=1): split fleets, write many records, plant bad input.
 * Never registered otherwise.
 */
import crypto from 'node:crypto'
import * as Y from 'yjs'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { canonicalJson, SCHEMA_VERSION, type TaskSpec } from '../../protocol/records.ts'
import { MAP_NAMES, type MapName } from '../../protocol/ledger.ts'
import { LEDGER_TOPIC, SYNC_PROTOCOL } from '../../protocol/wire.ts'
import { ControlError } from '../../agent/control/server.ts'
import type { TestGate } from './gate.ts'
import type { Agent } from '../../agent/agent.ts'

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

export function taskFixture(agent: Agent, id: string, i: number): Omit<TaskSpec, 'v'> {
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
export function ledgerContentHash(agent: Agent): string {
  return crypto.createHash('sha256').update(canonicalJson(agent.ledger.toJSON())).digest('hex')
}

export function registerTestHooks(agent: Agent, gate: TestGate): void {
  const c = agent.control
  c.handle('test.block', async (params) => {
    const peers = strs(params.peers, 'peers')
    for (const p of peers) gate.blocked.add(p)
    await Promise.all(peers.map((p) => agent.host.hangUp(peerIdFromString(p)).catch(() => {})))
    return { blocked: [...gate.blocked] }
  })
  c.handle('test.unblock', (params) => {
    const peers = params.peers === undefined ? [...gate.blocked] : strs(params.peers, 'peers')
    if (params.peers === undefined) gate.blockAll = false
    for (const p of peers) gate.blocked.delete(p)
    gate.onUnblock()
    return { blocked: [...gate.blocked] }
  })
  c.handle('test.writeRecords', async (params) => {
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
  c.handle('test.deleteRecords', async (params) => {
    const map = mapName(params.map ?? 'tasks')
    const keys = strs(params.keys, 'keys')
    agent.ledger.doc.transact(() => {
      const m = agent.ledger.doc.getMap(map)
      for (const k of keys) m.delete(k)
    })
    await agent.flush()
    return { deleted: keys.length }
  })
  c.handle('test.writeRaw', async (params) => {
    agent.ledger.writeRaw(mapName(params.map), str(params.key, 'key'), params.value)
    await agent.flush()
    return { ok: true }
  })
  c.handle('test.read', (params) => {
    const map = mapName(params.map)
    const key = str(params.key, 'key')
    const raw = agent.ledger.doc.getMap(map).get(key) ?? null
    const typed = map === 'tasks' ? (agent.ledger.task(key) ?? null) : map === 'agents' ? (agent.ledger.agent(key) ?? null) : null
    return { raw, typed }
  })
  c.handle('test.ledger', (params) => ({
    hash: ledgerContentHash(agent),
    sizes: agent.ledger.sizes(),
    validTasks: agent.ledger.tasks().length,
    ...(params.full === true ? { content: agent.ledger.toJSON() } : {}),
  }))
  c.handle('test.publishRaw', async (params) => {
    const data = Buffer.from(str(params.base64, 'base64'), 'base64')
    const topic = typeof params.topic === 'string' ? params.topic : LEDGER_TOPIC
    await agent.host.services.pubsub.publish(topic, data)
    return { bytes: data.byteLength }
  })
  c.handle('test.garbageSync', async (params) => {
    // Open a sync stream to a peer and send frames that are not a valid sync exchange.
    const stream = await agent.host.dialProtocol(peerIdFromString(str(params.peer, 'peer')), SYNC_PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const lp = lpStream(stream)
    const frames = params.frames === undefined ? [crypto.randomBytes(64).toString('base64')] : strs(params.frames, 'frames')
    for (const f of frames) await lp.write(Buffer.from(f, 'base64'))
    await stream.close().catch(() => {})
    return { sent: frames.length }
  })
  c.handle('test.applyRaw', (params) => {
    // As if an update had arrived from a peer: exercises the same guarded path.
    const ok = agent.replicator.applyRemote(Buffer.from(str(params.base64, 'base64'), 'base64'), 'test')
    return { applied: ok }
  })
  c.handle('test.encodeUpdate', () => Buffer.from(Y.encodeStateAsUpdate(agent.ledger.doc)).toString('base64'))
  c.handle('test.schemaVersion', () => SCHEMA_VERSION)
}
