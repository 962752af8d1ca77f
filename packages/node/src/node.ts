/**
 * WeftNode: a libp2p host plus membership, with its identity, seq and known
 * members persisted in its data dir.
 */
import { mkdir } from 'node:fs/promises'
import { logger } from '@libp2p/logger'
import { TypedEventEmitter } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { DEFAULT_MAX_MEMBERS, MeshKeyRequiredError, membersTopic, openMeshId, parseMeshKey, validateZone } from '@weft/protocol'
import { dataDirUsage, diskCapacity } from './capacity.js'
import * as C from './constants.js'
import { NodeNotStartedError } from './errors.js'
import { loadOrCreateIdentity } from './identity.js'
import { loadKnownPeers } from './known-peers.js'
import { createHost } from './libp2p.js'
import { Membership } from './membership/membership.js'
import { SeqStore } from './seq.js'
import type { Usage } from './capacity.js'
import type { WeftServices } from './libp2p.js'
import type { GossipBytes } from './membership/gossip-bytes.js'
import type { Member, MembershipEvents, MembershipStats, MembershipTimings, RecordPatch } from './membership/types.js'
import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { ClusterMap } from '@weft/placement'
import type { NodeRecord } from '@weft/protocol'
import type { WeftNodeInit } from './index.js'

const log = logger('weft:node')

export type NodeStatus = 'stopped' | 'starting' | 'started' | 'stopping'

export function resolveTimings (t: Partial<MembershipTimings> = {}): MembershipTimings {
  const heartbeatMs = t.heartbeatMs ?? C.DEFAULT_HEARTBEAT_MS
  const timings = {
    heartbeatMs,
    suspectAfterMs: t.suspectAfterMs ?? C.DEFAULT_SUSPECT_AFTER_MS,
    downAfterMs: t.downAfterMs ?? C.DEFAULT_DOWN_AFTER_MS,
    outAfterMs: t.outAfterMs ?? C.DEFAULT_OUT_AFTER_MS,
    antiEntropyMs: t.antiEntropyMs ?? heartbeatMs * C.DEFAULT_ANTI_ENTROPY_BEATS,
    forgetAfterMs: t.forgetAfterMs ?? C.DEFAULT_FORGET_AFTER_MS
  }
  const ok = heartbeatMs > 0 && timings.suspectAfterMs > heartbeatMs && timings.downAfterMs > timings.suspectAfterMs &&
    timings.outAfterMs > timings.downAfterMs && timings.antiEntropyMs > 0 && timings.forgetAfterMs >= timings.outAfterMs
  if (!ok) throw new TypeError('timings must satisfy 0 < heartbeat < suspectAfter < downAfter < outAfter <= forgetAfter')
  return timings
}

export class WeftNode extends TypedEventEmitter<MembershipEvents> {
  readonly peerId: string
  readonly meshId: string
  readonly dataDir: string
  readonly libp2p: Libp2p<WeftServices>
  readonly timings: MembershipTimings
  private readonly membership: Membership
  private state: NodeStatus = 'stopped'
  private starting?: Promise<void>
  private stopping?: Promise<void>
  private stoppedOnce = false

  /** Use createNode(). */
  constructor (fields: { peerId: string, meshId: string, dataDir: string, libp2p: Libp2p<WeftServices>, timings: MembershipTimings, membership: (node: WeftNode) => Membership }) {
    super()
    this.peerId = fields.peerId
    this.meshId = fields.meshId
    this.dataDir = fields.dataDir
    this.libp2p = fields.libp2p
    this.timings = fields.timings
    this.membership = fields.membership(this)
  }

  get status (): NodeStatus {
    return this.state
  }

  /** Starts listening, joins through the seeds (or known members) and begins gossiping. */
  async start (): Promise<void> {
    if (this.state !== 'stopped') return
    if (this.stoppedOnce) throw new NodeNotStartedError('a stopped node cannot start again; create a new one on the same data dir')
    this.state = 'starting'
    this.starting = (async () => {
      await this.libp2p.start()
      await this.membership.start()
    })()
    try {
      await this.starting
      this.state = 'started'
    } catch (err) {
      this.state = 'stopped'
      this.stoppedOnce = true
      try {
        await this.libp2p.stop()
      } catch {
        // the start error is the one to report
      }
      throw err
    }
  }

  /** Announces `leaving`, then closes every connection, listener and timer. Idempotent. */
  async stop (): Promise<void> {
    if (this.stopping != null) return this.stopping
    if (this.state === 'starting') await this.starting?.catch(() => {})
    if (this.state !== 'started') return
    this.state = 'stopping'
    this.stopping = (async () => {
      try {
        await this.membership.stop()
      } catch (err) {
        log.error('membership stop failed - %e', err)
      }
      await this.libp2p.stop()
      this.state = 'stopped'
      this.stoppedOnce = true
    })()
    try {
      await this.stopping
    } finally {
      this.stopping = undefined
    }
  }

  /** Addresses others can dial, each ending in /p2p/<peerId>. */
  getMultiaddrs (): Multiaddr[] {
    return this.libp2p.getMultiaddrs()
  }

  /** The cluster map in placement's shape: an immutable snapshot, `version` grows on change. */
  getMap (): ClusterMap {
    return this.membership.map.getMap()
  }

  /** Every member (this node included) with its record and liveness, sorted by peer id. */
  members (): Member[] {
    return this.membership.map.members()
  }

  member (peerId: string): Member | undefined {
    return this.membership.map.member(peerId)
  }

  /** The record this node announces (its latest signed one, or the pending fields before start). */
  get record (): NodeRecord | undefined {
    return this.membership.self.current?.record
  }

  /**
   * Changes fields of this node's record; the new record (with a new seq) is
   * published on the next heartbeat. Throws InvalidRecordError when the
   * result would not be a valid record.
   */
  updateRecord (patch: RecordPatch): void {
    this.membership.updateRecord(patch)
  }

  /** Feeds usage (e.g. from the chunk store) into the record. */
  setUsage (usage: Usage): void {
    this.membership.updateRecord({ usedBytes: Math.max(0, Math.round(usage.usedBytes)), full: usage.full })
  }

  stats (): MembershipStats {
    return this.membership.getStats()
  }
}

export async function createWeftNode (init: WeftNodeInit): Promise<WeftNode> {
  if (init.meshKey == null && init.insecureOpen !== true) {
    throw new MeshKeyRequiredError('a mesh key is required (or insecureOpen: true, for development only)')
  }
  const meshKey = init.meshKey != null ? await parseMeshKey(init.meshKey) : undefined
  const meshId = meshKey?.meshId ?? await openMeshId()
  const timings = resolveTimings(init.timings)
  const zone = init.zone ?? ''
  validateZone(zone)
  await mkdir(init.dataDir, { recursive: true })
  const privateKey = await loadOrCreateIdentity(init.dataDir)
  const seqs = new SeqStore(init.dataDir)
  await seqs.load()
  const known = await loadKnownPeers(init.dataDir)
  const capacityBytes = init.capacityBytes ?? await diskCapacity(init.dataDir)
  if (!Number.isSafeInteger(capacityBytes) || capacityBytes < 0) throw new TypeError('capacityBytes must be a non-negative integer')
  const weight = init.weight ?? Math.max(1, capacityBytes)
  const topic = membersTopic(meshId)
  const gossipBytes: GossipBytes = { in: 0, out: 0 }
  const libp2p = await createHost({
    privateKey,
    listen: init.listen ?? C.DEFAULT_LISTEN,
    announce: init.announce ?? [],
    psk: meshKey?.psk,
    topic,
    gossipBytes,
    maxConnections: init.connections?.maxConnections ?? C.DEFAULT_MAX_CONNECTIONS,
    inboundConnectionThreshold: init.connections?.inboundConnectionThreshold ?? C.DEFAULT_INBOUND_CONNECTION_THRESHOLD,
    maxIncomingPendingConnections: init.connections?.maxIncomingPendingConnections ?? C.DEFAULT_MAX_INCOMING_PENDING_CONNECTIONS,
    dialTimeoutMs: init.connections?.dialTimeoutMs ?? C.DEFAULT_DIAL_TIMEOUT_MS
  })
  const peerId = libp2p.peerId.toString()
  const usage = init.usage ?? (async () => dataDirUsage(init.dataDir, capacityBytes))
  return new WeftNode({
    peerId,
    meshId,
    dataDir: init.dataDir,
    libp2p,
    timings,
    membership: (node) => new Membership({
      libp2p,
      privateKey,
      selfId: peerId,
      meshId,
      topic,
      dataDir: init.dataDir,
      seqs,
      fields: {
        peerId,
        meshId,
        zone,
        addrs: [],
        bulkAddr: '',
        capacityBytes,
        usedBytes: 0,
        weight,
        state: 'up',
        load: { inFlight: 0, mbps: 0 },
        full: false,
        version: init.version ?? C.SOFTWARE_VERSION,
        startedAt: Date.now()
      },
      timings,
      maxMembers: init.maxMembers ?? DEFAULT_MAX_MEMBERS,
      targetPeers: init.connections?.targetPeers ?? C.DEFAULT_TARGET_PEERS,
      dialTimeoutMs: init.connections?.dialTimeoutMs ?? C.DEFAULT_DIAL_TIMEOUT_MS,
      seeds: (init.seeds ?? []).map(s => multiaddr(s)),
      known,
      usage: async () => usage(),
      usageRefreshBeats: C.DEFAULT_USAGE_REFRESH_BEATS,
      gossipBytes,
      budget: { burst: C.GOSSIP_BURST, refillPerBeat: C.GOSSIP_REFILL_PER_BEAT },
      pullBackoffBeats: C.PULL_BACKOFF_BEATS,
      emit: (name, member) => {
        node.safeDispatchEvent(name, { detail: member })
      }
    })
  })
}
