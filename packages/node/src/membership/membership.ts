/**
 * Membership of one node: its signed record, the merged map of everyone's,
 * liveness, gossip, sync and connection upkeep, driven by one heartbeat.
 *
 * Every beat: publish a heartbeat (or the full record when it changed, on the
 * first beats, and every RECORD_REPUBLISH_BEATS), re-evaluate liveness, keep
 * connected; every few beats: anti-entropy and a usage refresh.
 */
import { logger } from '@libp2p/logger'
import { DEFAULT_MAX_MEMBERS } from '@weft/protocol'
import { JOIN_SYNC_BEATS, KNOWN_PEERS_SAVE_MS, LEAVE_PUSH_PEERS, LEAVE_TIMEOUT_MS, RECORD_INITIAL_BEATS, RECORD_REPUBLISH_BEATS } from '../constants.js'
import { saveKnownPeers } from '../known-peers.js'
import { Connector } from './connector.js'
import { GossipChannel } from './gossip-channel.js'
import { MemberMap } from './member-map.js'
import { SelfRecord } from './self-record.js'
import { SignerBudget } from './signer-budget.js'
import { SyncService } from './sync-service.js'
import type { KnownPeer } from '../known-peers.js'
import type { SeqStore } from '../seq.js'
import type { GossipBytes } from './gossip-bytes.js'
import type { MemberEventName } from './member-map.js'
import type { RecordFields } from './self-record.js'
import type { Member, MembershipStats, MembershipTimings, RecordPatch } from './types.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Connection, Libp2p, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Usage } from '../capacity.js'

const log = logger('weft:node:membership')

export interface MembershipInit {
  libp2p: Libp2p<{ pubsub: GossipSub }>
  privateKey: PrivateKey
  selfId: string
  meshId: string
  topic: string
  dataDir: string
  seqs: SeqStore
  fields: RecordFields
  timings: MembershipTimings
  maxMembers: number
  targetPeers: number
  dialTimeoutMs: number
  seeds: Multiaddr[]
  known: KnownPeer[]
  usage: () => Promise<Usage>
  usageRefreshBeats: number
  gossipBytes: GossipBytes
  budget: { burst: number, refillPerBeat: number }
  pullBackoffBeats: number
  emit: (name: MemberEventName, member: Member) => void
}

const now = (): number => performance.now()

export class Membership {
  readonly map: MemberMap
  readonly self: SelfRecord
  private readonly init: MembershipInit
  private readonly gossip: GossipChannel
  private readonly sync: SyncService
  private readonly connector: Connector
  private readonly stats: MembershipStats
  private timer?: ReturnType<typeof setTimeout>
  private beat = 0
  private joined = false
  private running = false
  private beating?: Promise<void>
  private knownSavedAt = 0
  private knownKey = ''

  constructor (init: MembershipInit) {
    this.init = init
    this.stats = {
      gossipBytesIn: 0, gossipBytesOut: 0, heartbeatsPublished: 0, recordsPublished: 0, gossipAccepted: 0,
      gossipRejected: 0, gossipIgnored: 0, gossipRateLimited: 0, syncsStarted: 0, syncsServed: 0, syncsFailed: 0, syncsRefused: 0, syncRecordsRejected: 0
    }
    this.self = new SelfRecord(init.privateKey, init.seqs, init.fields)
    const budget = new SignerBudget(init.budget.burst, init.budget.refillPerBeat / init.timings.heartbeatMs, 2 * init.maxMembers + 16)
    this.map = new MemberMap({
      selfId: init.selfId,
      timings: init.timings,
      maxMembers: init.maxMembers,
      now,
      emit: init.emit,
      onOwnRecordSeen: (seq) => { this.self.skipPast(seq).catch(err => { log.error('cannot skip seq - %e', err) }) },
      onForget: (id) => { budget.forget(id) }
    })
    this.sync = new SyncService({
      libp2p: init.libp2p,
      map: this.map,
      meshId: init.meshId,
      // what one exchange may carry; the map itself stops at init.maxMembers
      maxMembers: Math.max(init.maxMembers, DEFAULT_MAX_MEMBERS),
      stats: this.stats,
      timeoutMs: Math.max(5000, 5 * init.timings.heartbeatMs),
      now,
      pullBackoffMs: init.pullBackoffBeats * init.timings.heartbeatMs
    })
    this.gossip = new GossipChannel({
      pubsub: init.libp2p.services.pubsub,
      topic: init.topic,
      meshId: init.meshId,
      selfId: init.selfId,
      map: this.map,
      budget,
      stats: this.stats,
      now,
      onMissing: (origin, via) => {
        this.sync.pull(this.init.libp2p.getConnections(origin).length > 0 ? origin : via)
      }
    })
    this.connector = new Connector({
      libp2p: init.libp2p,
      map: this.map,
      selfId: init.selfId,
      seeds: init.seeds,
      known: init.known,
      targetPeers: init.targetPeers,
      dialTimeoutMs: init.dialTimeoutMs,
      now,
      joined: () => this.joined,
      onBootstrapConnection: (connection) => { this.joinThrough(connection) }
    })
  }

  getStats (): MembershipStats {
    return { ...this.stats, gossipBytesIn: this.init.gossipBytes.in, gossipBytesOut: this.init.gossipBytes.out }
  }

  get hasJoined (): boolean {
    return this.joined
  }

  async start (): Promise<void> {
    this.self.patch({ addrs: this.ownAddrs() })
    this.map.setSelf(await this.self.issue())
    await this.sync.start()
    this.gossip.start()
    this.init.libp2p.addEventListener('self:peer:update', this.onSelfUpdate)
    this.running = true
    // a node without seeds or known peers founds the mesh: it has nobody to join
    if (this.init.seeds.length === 0 && this.init.known.length === 0) this.joined = true
    this.connector.tick()
    this.schedule()
  }

  private readonly onSelfUpdate = (): void => {
    try {
      this.self.patch({ addrs: this.ownAddrs() })
    } catch (err) {
      log.error('cannot announce new addresses - %e', err)
    }
  }

  private ownAddrs (): string[] {
    const seen = new Set<string>()
    for (const ma of this.init.libp2p.getMultiaddrs()) {
      seen.add(ma.toString().replace(/\/p2p\/[^/]+$/, ''))
      if (seen.size >= 16) break
    }
    return [...seen]
  }

  private joinThrough (connection: Connection): void {
    const peer = connection.remotePeer
    if (peer.toString() === this.init.selfId) return
    this.sync.pull(peer)
  }

  private schedule (): void {
    if (!this.running) return
    this.timer = setTimeout(() => {
      this.beating = this.onBeat()
        .catch(err => { log.error('heartbeat failed - %e', err) })
        .finally(() => {
          this.beating = undefined
          this.schedule()
        })
    }, this.init.timings.heartbeatMs)
  }

  private async onBeat (): Promise<void> {
    const beat = ++this.beat
    let record = this.self.current
    const reissued = this.self.changed
    if (reissued) {
      record = await this.self.issue()
      this.map.setSelf(record)
    }
    if (!this.running) return
    if (record != null) {
      const full = reissued || beat <= RECORD_INITIAL_BEATS || beat % RECORD_REPUBLISH_BEATS === 0
      const publish = full ? this.gossip.publishRecord(record.bytes, beat) : this.gossip.publishHeartbeat(record.record.seq, beat)
      publish.catch(err => { log('publish failed - %e', err) })
    }
    this.map.evaluate()
    this.map.forgetOld()
    if (!this.joined && this.syncedOnce()) this.joined = true
    this.connector.tick()
    const t = this.init.timings
    const antiEntropyBeats = Math.max(1, Math.round(t.antiEntropyMs / t.heartbeatMs))
    if (beat % antiEntropyBeats === 0 || beat <= JOIN_SYNC_BEATS) this.sync.antiEntropy()
    if (beat % this.init.usageRefreshBeats === 0) await this.refreshUsage()
    await this.maybeSaveKnown(false)
  }

  private syncedOnce (): boolean {
    return this.map.size > 1
  }

  private async refreshUsage (): Promise<void> {
    try {
      const usage = await this.init.usage()
      this.self.patch({ usedBytes: Math.max(0, Math.round(usage.usedBytes)), full: usage.full })
    } catch (err) {
      log.error('usage refresh failed - %e', err)
    }
  }

  updateRecord (patch: RecordPatch): void {
    this.self.patch(patch)
  }

  private async maybeSaveKnown (force: boolean): Promise<void> {
    const t = now()
    if (!force && t - this.knownSavedAt < KNOWN_PEERS_SAVE_MS) return
    this.knownSavedAt = t
    const peers = this.map.members()
      .filter(m => !m.self && (m.liveness === 'up' || m.liveness === 'suspect' || m.liveness === 'left'))
      .map(m => ({ peerId: m.peerId, addrs: [...m.record.addrs] }))
    const key = JSON.stringify(peers)
    if (key === this.knownKey) return
    this.knownKey = key
    try {
      await saveKnownPeers(this.init.dataDir, peers)
    } catch (err) {
      log.error('cannot save known peers - %e', err)
    }
  }

  /** Announces `leaving` (gossip, plus a direct push to a few members), then stops everything. */
  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    clearTimeout(this.timer)
    await this.beating
    try {
      this.self.patch({ state: 'leaving' })
      const record = await this.self.issue()
      this.map.setSelf(record)
      await this.gossip.publishRecord(record.bytes, ++this.beat).catch(err => { log('publish leaving failed - %e', err) })
      const peers = this.init.libp2p.getPeers().filter(p => this.map.records.has(p.toString())).slice(0, LEAVE_PUSH_PEERS)
      const signal = AbortSignal.timeout(LEAVE_TIMEOUT_MS)
      await Promise.allSettled(peers.map(async p => this.sync.syncWith(p, { signal })))
    } catch (err) {
      log.error('announcing leave failed - %e', err)
    }
    await this.maybeSaveKnown(true)
    this.connector.stop()
    this.gossip.stop()
    this.init.libp2p.removeEventListener('self:peer:update', this.onSelfUpdate)
    await this.sync.stop()
  }
}
