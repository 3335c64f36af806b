/**
 * The agent's file system flushes (file-flush.ts), with the real `sync -f`: asks made together are answered
 * together, a flush that cannot run says why without spoiling later ones, and one that started before an
 * ask never answers it (the ask waits for the next flush).
 */
import { closeSync, openSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SYNCFS, flushFileSystem } from './file-flush.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mmesh-flush-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe.skipIf(!SYNCFS)('file system flushes', () => {
  it('answers every ask; an ask made while a flush runs is answered by a later one', async () => {
    const fd = openSync(dir, 'r')
    try {
      let laterAnswered = false
      let laterAnsweredWithFirst: boolean | null = null
      const first = flushFileSystem(1, fd).then((a) => {
        // One flush answers its asks in one go: by the next turn of the loop all of them have their answer.
        setImmediate(() => (laterAnsweredWithFirst = laterAnswered))
        return a
      })
      // Same turn: not started yet, so the same flush serves it.
      const same = flushFileSystem(1, fd)
      // After the first has started (it starts at once: no flush ran on this key before).
      await new Promise((r) => setImmediate(r))
      const later = flushFileSystem(1, fd).then((a) => ((laterAnswered = true), a))
      const answers = await Promise.race([Promise.all([first, same, later]), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 20 s')), 20_000))])
      expect(answers).toEqual([null, null, null])
      await new Promise((r) => setImmediate(r))
      // The later ask came after the first flush started: that flush must not answer it.
      expect(laterAnsweredWithFirst).toBe(false)
    } finally {
      closeSync(fd)
    }
  })

  it('a flush that fails says so, and the next one still runs', async () => {
    const fd = openSync(path.join(dir, 'x'), 'w')
    closeSync(fd)
    // A descriptor number nothing holds: /proc/PID/fd/N does not exist, so `sync -f` fails.
    const bad = await flushFileSystem(2, 1_000_000)
    expect(bad).toMatchObject({ code: 'ESYNCFS', unavailable: false })
    const good = openSync(dir, 'r')
    try {
      expect(await flushFileSystem(2, good)).toBeNull()
    } finally {
      closeSync(good)
    }
  })
})
