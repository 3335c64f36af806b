import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Ledger } from './ledger.ts'
import { formatHlc } from './hlc.ts'
import { signingBytes } from './records.ts'
import { foldAgentEnabled } from './intent.ts'
import { TestKeyring, fakeAgentId } from '../test/fixtures/ledger-replicas.ts'

const A = fakeAgentId(1)
const B = fakeAgentId(2)
const NOW = Date.parse('2026-12-03T12:00:00Z')

const keyring = new TestKeyring()

function ledgerAt(clock: { now: number }) {
  const invalid: string[] = []
  const ledger = new Ledger(new Y.Doc(), { verify: keyring.verify, nowMs: () => clock.now, onInvalid: (m, k, r) => invalid.push(`${m}/${k}: ${r}`) })
  return { ledger, invalid }
}

const cmd = (kind: 'agent.enable' | 'agent.disable', wallMs: number, by = B) => {
  const hlc = formatHlc({ wallMs, counter: 0, node: by })
  const body = { v: 1, kind, hlc, by, target: A }
  return { key: `${by}/${hlc}`, value: { ...body, sig: keyring.signer(by).sign(signingBytes(body)) } }
}

describe('Ledger: command clocks', () => {
  it('refuses a clock value that is not an HLC ("~" would sort after every real one)', () => {
    const { ledger, invalid } = ledgerAt({ now: NOW })
    ledger.writeRaw('commands', `${B}/~`, { v: 1, kind: 'agent.disable', hlc: '~', by: B, target: A })
    expect(ledger.commandsFor(A)).toEqual([])
    expect(invalid.some((m) => m.includes('hybrid logical clock'))).toBe(true)
  })

  it('refuses a clock whose writer part is not the command\'s writer', () => {
    const { ledger, invalid } = ledgerAt({ now: NOW })
    const hlc = formatHlc({ wallMs: NOW, counter: 0, node: A })
    const body = { v: 1, kind: 'agent.disable', hlc, by: B, target: A }
    ledger.writeRaw('commands', `${B}/${hlc}`, { ...body, sig: keyring.signer(B).sign(signingBytes(body)) })
    expect(ledger.commandsFor(A)).toEqual([])
    expect(invalid.some((m) => m.includes('is not of its writer'))).toBe(true)
  })

  it('ignores a command dated far ahead until the clock reaches it, so it cannot freeze a later enable', () => {
    const clock = { now: NOW }
    const { ledger, invalid } = ledgerAt(clock)
    const future = cmd('agent.disable', NOW + 365 * 86_400_000)
    ledger.writeRaw('commands', future.key, future.value)
    const enable = cmd('agent.enable', NOW + 1000)
    ledger.writeRaw('commands', enable.key, enable.value)
    expect(ledger.commandsFor(A).map((c) => c.kind)).toEqual(['agent.enable'])
    expect(foldAgentEnabled(ledger.commandsFor(A))).toBe(true)
    expect(invalid.filter((m) => m.includes('ahead of this agent'))).toHaveLength(1)
    ledger.commandsFor(A)
    expect(invalid.filter((m) => m.includes('ahead of this agent'))).toHaveLength(1) // reported once
    // within the allowed skew it counts
    const soon = cmd('agent.disable', NOW + 4 * 60_000)
    ledger.writeRaw('commands', soon.key, soon.value)
    expect(foldAgentEnabled(ledger.commandsFor(A))).toBe(false)
    // a year later the far one counts too
    clock.now = NOW + 366 * 86_400_000
    expect(ledger.commandsFor(A)).toHaveLength(3)
  })
})
