/**
 * This agent's durable entry in the ledger's agents map: written once, rewritten only when name, group
 * or what its owner lets it touch change (an idle fleet adds nothing).
 */
import { canonicalJson, type AgentRecord } from '../protocol/records.ts'
import type { Ledger, RecordSigner } from '../protocol/ledger.ts'

export interface OwnEntry {
  name: string
  host: string
  group: string
  version: string
  access: NonNullable<AgentRecord['access']>
}

export function keepOwnEntry(ledger: Ledger, signer: RecordSigner, peerId: string, me: OwnEntry): void {
  let firstSeen = ledger.agent(peerId)?.firstSeen ?? new Date().toISOString()
  const ensure = () => {
    const mine = ledger.agent(peerId)
    if (mine) firstSeen = mine.firstSeen
    if (!mine || mine.name !== me.name || mine.group !== me.group || canonicalJson(mine.access ?? null) !== canonicalJson(me.access)) {
      ledger.putAgent(signer, { id: peerId, name: me.name, host: me.host, group: me.group, firstSeen, version: me.version, access: me.access })
    }
  }
  ensure()
  // Any member can overwrite any key; readers ignore an entry whose signature fails, so one written over
  // ours would erase us from the fleet's view once we are offline. Write it again (after this change).
  ledger.onChange((ch) => {
    if (ch.map === 'agents' && !ch.local && ch.keys.includes(peerId)) queueMicrotask(ensure)
  })
}
