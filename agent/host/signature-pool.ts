/**
 * Worker threads that verify record signatures in batches (signature-worker.js), so a large catch-up's
 * Ed25519 checks (~0.12 ms each in OpenSSL on the 2-core VM, ~90% of checking a record: 1.2 s for
 * 10,000) run beside the main thread instead of on it. A batch goes to its worker as one buffer of
 * signing bytes plus offsets; callers send fixed-size batches (agent/scheduler/check-queue.ts), so what
 * is in flight stays small. Workers start on first use, are unref'd while idle (they never keep the
 * process alive) and end after IDLE_MS without work: an isolate holds some 10-20 MB, and catch-ups are
 * rare. A worker that fails takes its batches with it: they reject, and the ledger leaves their records
 * to be verified when read.
 */
import os from 'node:os'
import { Worker } from 'node:worker_threads'
import type { SignatureCheck } from '../../protocol/ledger.ts'
import { publicKeyDer } from './signatures.ts'

/** A worker with nothing to do for this long ends (the next catch-up starts one again, in ~30 ms). */
const IDLE_MS = 10_000

interface Slot {
  worker: Worker
  idle: NodeJS.Timeout | null
  busy: number
  waiting: Map<number, { resolve: (v: Uint8Array) => void; reject: (e: Error) => void }>
}

export interface SignaturePool {
  /** One byte per check, 1 when its signature is good. Rejects when the worker failed. */
  verify(checks: readonly SignatureCheck[]): Promise<Uint8Array>
  readonly size: number
  stop(): Promise<void>
}

/** One worker per core (two on the 2-core VM): the main thread mostly waits during a catch-up. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()))
}

export function createSignaturePool(size = defaultPoolSize(), workerUrl = new URL('./signature-worker.js', import.meta.url)): SignaturePool {
  const slots: (Slot | null)[] = new Array(size).fill(null)
  const derCache = new Map<string, Buffer | null>()
  let nextId = 0
  let stopped = false

  function der(agentId: string): Buffer | null {
    let d = derCache.get(agentId)
    if (d === undefined) {
      d = publicKeyDer(agentId)
      if (derCache.size >= 10_000) derCache.delete(derCache.keys().next().value as string)
      derCache.set(agentId, d)
    }
    return d
  }

  function start(i: number): Slot {
    const worker = new Worker(workerUrl)
    const slot: Slot = { worker, idle: null, busy: 0, waiting: new Map() }
    const fail = (err: Error) => {
      if (slot.idle) clearTimeout(slot.idle)
      if (slots[i] === slot) slots[i] = null
      for (const w of slot.waiting.values()) w.reject(err)
      slot.waiting.clear()
    }
    worker.on('message', (m: { id: number; valid: Uint8Array }) => {
      const w = slot.waiting.get(m.id)
      slot.waiting.delete(m.id)
      slot.busy--
      if (slot.busy === 0) {
        worker.unref()
        slot.idle = setTimeout(() => {
          if (slots[i] === slot) slots[i] = null
          void worker.terminate().catch(() => 0)
        }, IDLE_MS)
        slot.idle.unref()
      }
      w?.resolve(m.valid)
    })
    worker.on('error', fail)
    worker.on('exit', () => fail(new Error('signature worker exited')))
    worker.unref()
    slots[i] = slot
    return slot
  }

  /** The least busy worker, started if needed. */
  function pick(): Slot {
    let best = -1
    for (let i = 0; i < size; i++) {
      const s = slots[i]
      if (!s) return start(i)
      if (best < 0 || s.busy < slots[best]!.busy) best = i
    }
    return slots[best]!
  }

  return {
    size,
    verify(checks) {
      if (stopped) return Promise.reject(new Error('signature pool stopped'))
      const agents: string[] = new Array(checks.length)
      const sigs: string[] = new Array(checks.length)
      const offsets = new Uint32Array(checks.length + 1)
      const keys = new Map<string, Buffer | null>()
      let total = 0
      checks.forEach((c, i) => {
        agents[i] = c.agentId
        sigs[i] = c.sig
        if (!keys.has(c.agentId)) keys.set(c.agentId, der(c.agentId))
        offsets[i] = total
        total += c.data.byteLength
      })
      offsets[checks.length] = total
      const data = new Uint8Array(total)
      checks.forEach((c, i) => data.set(c.data, offsets[i]!))
      const slot = pick()
      const id = nextId++
      return new Promise<Uint8Array>((resolve, reject) => {
        slot.waiting.set(id, { resolve, reject })
        if (slot.idle) clearTimeout(slot.idle)
        slot.idle = null
        if (slot.busy++ === 0) slot.worker.ref()
        slot.worker.postMessage({ id, keys: [...keys], agents, sigs, offsets, data }, [data.buffer, offsets.buffer])
      })
    },
    async stop() {
      stopped = true
      await Promise.all(slots.map((s) => s?.worker.terminate().catch(() => 0)))
    },
  }
}
