import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Ledger } from '../protocol/ledger.ts'
import { formatHlc, parseHlc } from '../protocol/hlc.ts'
import { signingBytes } from '../protocol/records.ts'
import { TestKeyring, fakeAgentId } from '../test/fixtures/ledger-replicas.ts'
import { createHlcClock } from './hlc-clock.ts'

const ME = fakeAgentId(1)
const PEER = fakeAgentId(2)
const NOW = Date.parse('2026-12-03T12:00:00Z')

describe('the agent\'s command clock', () => {
  it('sorts after a peer\'s command within the skew, and ignores one dated far ahead', () => {
    const keyring = new TestKeyring()
    const doc = new Y.Doc()
    const ledger = new Ledger(doc, { verify: keyring.verify, nowMs: () => NOW })
    const clock = createHlcClock(ledger, ME, () => NOW)
    const put = (wallMs: number) => {
      const hlc = formatHlc({ wallMs, counter: 0, node: PEER })
      const body = { v: 1, kind: 'agent.disable', hlc, by: PEER, target: ME }
      const remote = new Y.Doc()
      remote.getMap('commands').set(`${PEER}/${hlc}`, { ...body, sig: keyring.signer(PEER).sign(signingBytes(body)) })
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote))
    }
    put(NOW + 60_000) // a minute ahead: within the skew, our next command must sort after it
    expect(parseHlc(clock.next())!.wallMs).toBe(NOW + 60_000)
    put(NOW + 10 * 365 * 86_400_000) // ten years ahead: not taken in
    const next = parseHlc(clock.next())!
    expect(next.wallMs).toBe(NOW + 60_000)
    expect(next.node).toBe(ME)
  })
})
