/**
 * The record sync protocol on this node: serves it to members and clients,
 * and runs it to join, to pull a record a heartbeat told us we lack, for
 * periodic anti-entropy, and to push a `leaving` record on stop. Bounded:
 * a few syncs started and a few served at once, each with a timeout.
 */
import { logger } from '@libp2p/logger'
import { MEMBERS_SYNC_PROTOCOL, openRecord, requestMemberSync, serveMemberSync } from '@weft/protocol'
import { MAX_CONCURRENT_SYNCS_SERVED, MAX_CONCURRENT_SYNCS_STARTED } from '../constants.js'
import type { MemberMap } from './member-map.js'
import type { MembershipStats } from './types.js'
import type { AbortOptions, Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { MemberSyncLocal, MemberSyncResult } from '@weft/protocol'

const log = logger('weft:node:sync')

export interface SyncServiceInit {
  libp2p: Libp2p
  map: MemberMap
  meshId: string
  maxMembers: number
  stats: MembershipStats
  timeoutMs: number
  /** monotonic ms */
  now: () => number
  /** a pull goes to one peer at most this often */
  pullBackoffMs: number
}

export class SyncService {
  private started = 0
  private served = 0
  private readonly lastPull = new Map<string, number>()
  private readonly controller = new AbortController()
  private readonly local: MemberSyncLocal

  constructor (private readonly init: SyncServiceInit) {
    const { map, meshId } = init
    this.local = {
      entries: () => map.digest(),
      lookup: (id) => map.lookup(id),
      receive: async (bytes, ageMs) => {
        let signed
        try {
          signed = await openRecord(bytes, { meshId })
        } catch (err) {
          init.stats.syncRecordsRejected++
          throw err
        }
        map.ingest(signed, { ageMs })
      },
      observe: (entry) => {
        const held = map.records.get(entry.peerId)
        if (held != null && held.record.seq <= entry.seq) map.heardOf(entry.peerId, entry.ageMs)
      }
    }
  }

  async start (): Promise<void> {
    await this.init.libp2p.handle(MEMBERS_SYNC_PROTOCOL, this.handle, { maxInboundStreams: 4, maxOutboundStreams: 4 })
  }

  async stop (): Promise<void> {
    this.controller.abort(new Error('membership stopped'))
    await this.init.libp2p.unhandle(MEMBERS_SYNC_PROTOCOL)
  }

  private readonly handle = async (stream: Stream, connection: Connection): Promise<void> => {
    if (this.served >= MAX_CONCURRENT_SYNCS_SERVED) {
      this.init.stats.syncsRefused++
      stream.abort(new Error('too many syncs'))
      return
    }
    this.served++
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.init.timeoutMs)])
    try {
      const result = await serveMemberSync(stream, this.local, { signal, maxMembers: this.init.maxMembers })
      this.init.stats.syncsServed++
      log.trace('served sync to %p: %o', connection.remotePeer, result)
      // the requester answered: a sign of life
      this.init.map.heard(connection.remotePeer.toString())
    } catch (err) {
      this.init.stats.syncsFailed++
      log('serving sync to %p failed - %e', connection.remotePeer, err)
    } finally {
      this.served--
    }
  }

  /** Runs one sync with a connected (or dialable) peer. */
  async syncWith (peer: PeerId, options: AbortOptions = {}): Promise<MemberSyncResult> {
    this.started++
    this.init.stats.syncsStarted++
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.init.timeoutMs), ...(options.signal != null ? [options.signal] : [])])
    try {
      const stream = await this.init.libp2p.dialProtocol(peer, MEMBERS_SYNC_PROTOCOL, { signal })
      const result = await requestMemberSync(stream, this.local, { signal, maxMembers: this.init.maxMembers })
      this.init.map.heard(peer.toString())
      return result
    } catch (err) {
      this.init.stats.syncsFailed++
      throw err
    } finally {
      this.started--
    }
  }

  /** Fire-and-forget sync, skipped when busy or when `peer` was pulled from recently. */
  pull (peer: PeerId): void {
    const id = peer.toString()
    const now = this.init.now()
    if (this.started >= MAX_CONCURRENT_SYNCS_STARTED) return
    if (now - (this.lastPull.get(id) ?? -Infinity) < this.init.pullBackoffMs) return
    this.lastPull.set(id, now)
    if (this.lastPull.size > 4 * this.init.maxMembers) this.lastPull.clear()
    this.syncWith(peer).catch(err => { log('pull from %p failed - %e', peer, err) })
  }

  /** Anti-entropy with one random connected member. */
  antiEntropy (): void {
    const peers = this.init.libp2p.getPeers().filter(p => this.init.map.records.has(p.toString()))
    const peer = peers[Math.floor(Math.random() * peers.length)]
    if (peer != null) this.pull(peer)
  }

  get busy (): number {
    return this.started
  }
}
