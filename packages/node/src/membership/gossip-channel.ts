/**
 * The mesh's membership topic: publishes this node's heartbeats and record,
 * and validates every message before gossipsub forwards it. Returns
 * `Reject` (drop and penalise the forwarder) for anything invalid: bad
 * encoding, bad signature, wrong mesh, oversized, a record not about its
 * publisher, an equivocating record; and `Ignore` (drop quietly) for what
 * may be honest but is useless: stale or replayed messages, a signer over
 * its budget, a full map.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { logger } from '@libp2p/logger'
import { decodeGossip, encodeGossip, openRecord } from '@weft/protocol'
import type { MemberMap } from './member-map.js'
import type { SignerBudget } from './signer-budget.js'
import type { MembershipStats } from './types.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { HeartbeatMessage, RecordMessage } from '@weft/protocol'

const log = logger('weft:node:gossip')

export interface GossipChannelInit {
  pubsub: GossipSub
  topic: string
  meshId: string
  selfId: string
  map: MemberMap
  budget: SignerBudget
  stats: MembershipStats
  now: () => number
  /** a member has a record we lack or a newer one: pull it from `origin` or `via` */
  onMissing: (origin: PeerId, via: PeerId) => void
}

export class GossipChannel {
  constructor (private readonly init: GossipChannelInit) {}

  start (): void {
    this.init.pubsub.topicValidators.set(this.init.topic, this.validate)
    this.init.pubsub.subscribe(this.init.topic)
  }

  stop (): void {
    this.init.pubsub.unsubscribe(this.init.topic)
    this.init.pubsub.topicValidators.delete(this.init.topic)
  }

  async publishHeartbeat (seq: number, beat: number): Promise<void> {
    await this.init.pubsub.publish(this.init.topic, encodeGossip({ kind: 'heartbeat', beat, seq }))
    this.init.stats.heartbeatsPublished++
  }

  async publishRecord (record: Uint8Array, beat: number): Promise<void> {
    await this.init.pubsub.publish(this.init.topic, encodeGossip({ kind: 'record', beat, record }))
    this.init.stats.recordsPublished++
  }

  private readonly validate = async (source: PeerId, msg: Message): Promise<TopicValidatorResult> => {
    const result = await this.check(source, msg)
    const stats = this.init.stats
    if (result === TopicValidatorResult.Accept) stats.gossipAccepted++
    else if (result === TopicValidatorResult.Reject) stats.gossipRejected++
    else stats.gossipIgnored++
    return result
  }

  private async check (source: PeerId, msg: Message): Promise<TopicValidatorResult> {
    if (msg.type !== 'signed') return TopicValidatorResult.Reject
    const from = msg.from.toString()
    if (from === this.init.selfId) return TopicValidatorResult.Ignore
    let decoded
    try {
      decoded = decodeGossip(msg.data)
    } catch (err) {
      log('malformed gossip from %s via %p - %e', from, source, err)
      return TopicValidatorResult.Reject
    }
    if (!this.init.budget.take(from, this.init.now())) {
      this.init.stats.gossipRateLimited++
      return TopicValidatorResult.Ignore
    }
    return decoded.kind === 'heartbeat'
      ? this.onHeartbeat(from, msg.from, source, decoded)
      : this.onRecord(from, msg.from, source, decoded)
  }

  private onHeartbeat (from: string, origin: PeerId, source: PeerId, m: HeartbeatMessage): TopicValidatorResult {
    const map = this.init.map
    const held = map.records.get(from)
    if (held == null) {
      this.init.onMissing(origin, source)
      return TopicValidatorResult.Ignore
    }
    if (m.seq < held.record.seq || !map.liveness.isFresh(from, m.seq, m.beat)) return TopicValidatorResult.Ignore
    map.heard(from, m.seq, m.beat)
    if (m.seq > held.record.seq) this.init.onMissing(origin, source)
    return TopicValidatorResult.Accept
  }

  private async onRecord (from: string, origin: PeerId, source: PeerId, m: RecordMessage): Promise<TopicValidatorResult> {
    let signed
    try {
      signed = await openRecord(m.record, { meshId: this.init.meshId })
    } catch (err) {
      log('invalid record from %s via %p - %e', from, source, err)
      return TopicValidatorResult.Reject
    }
    // a member speaks for itself only: others' records travel by sync
    if (signed.record.peerId !== from) return TopicValidatorResult.Reject
    const map = this.init.map
    const fresh = map.liveness.isFresh(from, signed.record.seq, m.beat)
    const result = map.ingest(signed, { direct: { seq: signed.record.seq, beat: m.beat } })
    switch (result) {
      case 'added':
      case 'updated':
        return TopicValidatorResult.Accept
      case 'duplicate':
        // a periodic republish: forwarded so members that missed it catch up
        return fresh ? TopicValidatorResult.Accept : TopicValidatorResult.Ignore
      case 'conflict':
        return TopicValidatorResult.Reject
      default:
        return TopicValidatorResult.Ignore
    }
  }
}
