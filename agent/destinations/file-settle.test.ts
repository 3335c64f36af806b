/**
 * FolderSettler: the folders a task's batches renamed into, flushed once at the end of a pass. A folder
 * that cannot be flushed fails the call as the task's error and stays pending for the next call.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DestinationError } from '../engine/destination.ts'
import { FolderSettler } from './file-settle.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mmesh-settle-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('FolderSettler', () => {
  it('flushes the folders added, once each, and has none pending after', async () => {
    const settler = new FolderSettler()
    const a = path.join(dir, 'a')
    const b = path.join(dir, 'b')
    await mkdir(a)
    await mkdir(b)
    settler.add(a)
    settler.add(b)
    settler.add(a)
    expect(settler.pending).toBe(2)
    await settler.settle(AbortSignal.timeout(10_000))
    expect(settler.pending).toBe(0)
    // nothing pending: nothing to do
    await settler.settle(AbortSignal.timeout(10_000))
  })

  it('a folder it cannot flush fails the call as the task\'s error, and is flushed by the next call', async () => {
    const settler = new FolderSettler()
    const gone = path.join(dir, 'not-yet')
    settler.add(gone)
    const err = await settler.settle(AbortSignal.timeout(10_000)).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(DestinationError)
    expect((err as DestinationError).scope).toBe('task')
    expect((err as DestinationError).code).toBe('DEST_NOT_FLUSHED')
    expect((err as Error).message).toContain(gone)
    expect((err as Error).message).not.toContain('\n')
    expect(settler.pending).toBe(1)
    await mkdir(gone)
    await settler.settle(AbortSignal.timeout(10_000))
    expect(settler.pending).toBe(0)
  })

  it('an aborted signal flushes nothing and keeps the folders pending', async () => {
    const settler = new FolderSettler()
    settler.add(dir)
    const controller = new AbortController()
    controller.abort(new Error('cancelled'))
    await expect(settler.settle(controller.signal)).rejects.toThrow('cancelled')
    expect(settler.pending).toBe(1)
  })
})
