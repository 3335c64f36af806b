/**
 * The ledger topic's validator, run by gossipsub before a message is delivered or forwarded: a message
 * that is not signed, does not decode, or carries an update Yjs cannot read is rejected (and its sender's
 * score drops), so a bad peer's message goes no further than us.
 */
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import { decodeGossip } from '../../protocol/wire.ts'
import { checkDecodes } from './apply-remote.ts'

/** Why a message was rejected, for the rate-limited log; null when it is accepted (or simply unsigned). */
export type GossipVerdict = { result: TopicValidatorResult; rejected: { fields: Record<string, unknown>; msg: string } | null }

export function checkLedgerMessage(msg: Message): GossipVerdict {
  if (msg.type !== 'signed') return { result: TopicValidatorResult.Reject, rejected: null }
  const at = { from: msg.from.toString(), bytes: msg.data.byteLength }
  const decoded = decodeGossip(msg.data)
  if (!decoded.ok) return { result: TopicValidatorResult.Reject, rejected: { fields: { ...at, reason: decoded.reason }, msg: 'rejected a ledger message' } }
  if (decoded.value.type === 'update') {
    try {
      checkDecodes(decoded.value.update)
    } catch (err) {
      return { result: TopicValidatorResult.Reject, rejected: { fields: { ...at, err: (err as Error).message }, msg: 'rejected an update that does not decode' } }
    }
  }
  return { result: TopicValidatorResult.Accept, rejected: null }
}
