/**
 * The client's validator on the members topic. Valid messages feed the
 * member view and are then `Ignore`d: a client is not a member and does not
 * relay membership gossip. Invalid ones are `Reject`ed (the forwarder is
 * penalised), as a node would.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { logger } from '@libp2p/logger'
import { decodeGossip, openRecord } from '@weft/protocol'
import type { MemberChange, MemberView } from './member-view.js'
import type { Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

const log = logger('weft:client:mesh:gossip')

export interface GossipHandlerInit {
  meshId: string
  view: MemberView
  /** changes to report */
  onChanges: (changes: MemberChange[]) => void
  /** a member has a record we lack or a newer one: pull soon */
  onMissing: (origin: PeerId, via: PeerId) => void
}

export function gossipValidator (init: GossipHandlerInit): (source: PeerId, msg: Message) => Promise<TopicValidatorResult> {
  return async (source, msg) => {
    if (msg.type !== 'signed') return TopicValidatorResult.Reject
    const from = msg.from.toString()
    let decoded
    try {
      decoded = decodeGossip(msg.data)
    } catch (err) {
      log('malformed gossip from %s via %p - %e', from, source, err)
      return TopicValidatorResult.Reject
    }
    const view = init.view
    if (decoded.kind === 'heartbeat') {
      const held = view.records.get(from)
      if (held == null) {
        init.onMissing(msg.from, source)
        return TopicValidatorResult.Ignore
      }
      if (decoded.seq < held.record.seq || !view.isFresh(from, decoded.seq, decoded.beat)) return TopicValidatorResult.Ignore
      init.onChanges(view.heard(from, decoded.seq, decoded.beat))
      if (decoded.seq > held.record.seq) init.onMissing(msg.from, source)
      return TopicValidatorResult.Ignore
    }
    let signed
    try {
      signed = await openRecord(decoded.record, { meshId: init.meshId })
    } catch (err) {
      log('invalid record from %s via %p - %e', from, source, err)
      return TopicValidatorResult.Reject
    }
    // a member speaks for itself only: others' records travel by sync
    if (signed.record.peerId !== from) return TopicValidatorResult.Reject
    const { result, changes } = view.ingest(signed, 0, { beat: decoded.beat })
    init.onChanges(changes)
    return result === 'conflict' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
  }
}
