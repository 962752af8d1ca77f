/**
 * WeftNode: a libp2p host, membership, the chunk store and the chunk service,
 * with its identity, seq and known members persisted in its data dir.
 */
import { mkdir } from 'node:fs/promises'
import { logger } from '@libp2p/logger'
import { TypedEventEmitter } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  DEFAULT_MAX_MEMBERS, MeshKeyRequiredError, bulkTransport, createRefPeerClient, fallbackTransport, libp2pTransport, membersTopic, normaliseChunkPolicy, openMeshId, parseMeshKey, refsTransport,
  validateZone, writeChunk
} from '@weft/protocol'
import { createNodeMetrics } from './admin/metrics.js'
import { createBulkServer, bulkHosts } from './bulk/index.js'
import { diskCapacity } from './capacity.js'
import { memberDialer } from './chunk-dialer.js'
import { createStoreHandler, observeHandler } from './chunk/index.js'
import { createChunkService } from './chunk/service.js'
import { createRefService } from './refs/index.js'
import { createGarbageCollector } from './gc/index.js'
import { DEFAULT_HEAL_YIELD_ABOVE_REQUESTS, DrainFlag, Reconciler, Scrubber, scrubSources } from './heal/index.js'
import * as C from './constants.js'
import { NodeNotStartedError } from './errors.js'
import { loadOrCreateIdentity } from './identity.js'
import { loadKnownPeers } from './known-peers.js'
import { createHost } from './libp2p.js'
import { trackMembers } from './member-metrics.js'
import { Membership } from './membership/membership.js'
import { SeqStore } from './seq.js'
import { StorageReporter } from './storage.js'
import { openChunkStore } from './store/index.js'
import { planWrite } from './write-plan.js'
import type { NodeMetrics } from './admin/metrics.js'
import type { Usage } from './capacity.js'
import type { BulkServer } from './bulk/index.js'
import type { ChunkService } from './chunk/service.js'
import type { RefService } from './refs/index.js'
import type { NodeComponent } from './component.js'
import type { WeftServices } from './libp2p.js'
import type { KnownPeer } from './known-peers.js'
import type { GossipBytes } from './membership/gossip-bytes.js'
import type { Member, MembershipEvents, MembershipStats, MembershipTimings, RecordPatch } from './membership/types.js'
import type { ChunkStore } from './store/index.js'
import type { HealStatus } from './heal/index.js'
import type { GarbageCollector } from './gc/index.js'
import type { AbortOptions, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { ClusterMap, PlacementPolicy } from '@weft/placement'
import type { NodeRecord, WriteChunkOptions, WriteChunkResult, WritePlan } from '@weft/protocol'
import type { CID } from 'multiformats/cid'
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

export interface WeftNodeFields {
  peerId: string
  meshId: string
  dataDir: string
  libp2p: Libp2p<WeftServices>
  timings: MembershipTimings
  membership: Membership
  store: ChunkStore
  chunks: ChunkService
  /** the bulk channel's server, unless turned off */
  bulk?: BulkServer
  refs: RefService
  /** the background reconciler, unless turned off */
  heal?: Reconciler
  /** re-hashes stored chunks and replaces bad copies, unless turned off */
  scrub?: Scrubber
  drainFlag: DrainFlag
  gc: GarbageCollector
  metrics: NodeMetrics
  /** started in order after libp2p, stopped in reverse order before it */
  components: NodeComponent[]
  /** run after libp2p has stopped (closing the store), in order */
  closers: Array<() => Promise<void>>
}

export class WeftNode extends TypedEventEmitter<MembershipEvents> {
  readonly peerId: string
  readonly meshId: string
  readonly dataDir: string
  readonly libp2p: Libp2p<WeftServices>
  readonly timings: MembershipTimings
  /** The node's durable chunk store (open from createNode until stop) */
  readonly store: ChunkStore
  /** Serves `/weft/chunk/1`; `chunks.client` is the node's outgoing chunk client */
  readonly chunks: ChunkService
  /** The bulk channel's server (chunk frames over TLS 1.3); undefined when turned off */
  readonly bulk?: BulkServer
  /** Serves `/weft/refs/1` from the node's ref store (`refs.store`, open while started) */
  readonly refs: RefService
  /** The background reconciler (rebalance, repair, drain); undefined when turned off */
  readonly heal?: Reconciler
  /** Re-hashes stored chunks at a limited rate and replaces corrupt copies; undefined when turned off */
  readonly scrub?: Scrubber
  /** Garbage collection of unreferenced chunks and old tombstones; `gc.runOnce()` sweeps now, `gc.lost()` lists lost objects */
  readonly gc: GarbageCollector
  /** This node's Prometheus registry and metrics (`metrics.registry` for /metrics) */
  readonly metrics: NodeMetrics
  private readonly membership: Membership
  private readonly drainFlag: DrainFlag
  private readonly components: NodeComponent[]
  private readonly closers: Array<() => Promise<void>>
  private state: NodeStatus = 'stopped'
  private starting?: Promise<void>
  private stopping?: Promise<void>
  private stoppedOnce = false
  private closed?: Promise<void>

  /** Use createNode(). */
  constructor (fields: WeftNodeFields) {
    super()
    this.peerId = fields.peerId
    this.meshId = fields.meshId
    this.dataDir = fields.dataDir
    this.libp2p = fields.libp2p
    this.timings = fields.timings
    this.membership = fields.membership
    this.store = fields.store
    this.chunks = fields.chunks
    this.bulk = fields.bulk
    this.refs = fields.refs
    this.heal = fields.heal
    this.scrub = fields.scrub
    this.drainFlag = fields.drainFlag
    this.gc = fields.gc
    this.metrics = fields.metrics
    this.components = fields.components
    this.closers = fields.closers
  }

  get status (): NodeStatus {
    return this.state
  }

  /** Starts listening, then every component (membership joins and gossips, the chunk service serves). */
  async start (): Promise<void> {
    if (this.state !== 'stopped') return
    if (this.stoppedOnce) throw new NodeNotStartedError('a stopped node cannot start again; create a new one on the same data dir')
    this.state = 'starting'
    const started: NodeComponent[] = []
    this.starting = (async () => {
      await this.libp2p.start()
      for (const c of this.components) {
        await c.start()
        started.push(c)
      }
    })()
    try {
      await this.starting
      this.state = 'started'
    } catch (err) {
      this.state = 'stopped'
      this.stoppedOnce = true
      await this.stopComponents(started)
      try {
        await this.libp2p.stop()
      } catch {
        // the start error is the one to report
      }
      await this.close()
      throw err
    }
  }

  /**
   * Stops the components in reverse order (the chunk service, then membership,
   * which announces `leaving`), then libp2p, then closes the store. Idempotent;
   * a node that was never started only closes its store.
   */
  async stop (): Promise<void> {
    if (this.stopping != null) return this.stopping
    if (this.state === 'starting') await this.starting?.catch(() => {})
    if (this.state !== 'started') {
      this.stoppedOnce = true
      await this.close()
      return
    }
    this.state = 'stopping'
    this.stopping = (async () => {
      await this.stopComponents(this.components)
      await this.libp2p.stop()
      await this.close()
      this.state = 'stopped'
      this.stoppedOnce = true
    })()
    try {
      await this.stopping
    } finally {
      this.stopping = undefined
    }
  }

  private async stopComponents (components: NodeComponent[]): Promise<void> {
    for (const c of [...components].reverse()) {
      try {
        await c.stop()
      } catch (err) {
        log.error('%s stop failed - %e', c.name, err)
      }
    }
  }

  private async close (): Promise<void> {
    this.closed ??= (async () => {
      for (const close of this.closers) {
        try {
          await close()
        } catch (err) {
          log.error('close failed - %e', err)
        }
      }
    })()
    await this.closed
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

  /** Whether this node is draining (its data moving away, placement no longer choosing it). */
  get draining (): boolean {
    return this.drainFlag.isSet
  }

  /**
   * Starts draining: the decision is saved in the data dir first (a restart
   * keeps draining), the record announces `draining` so placement stops
   * choosing this node, and the reconciler moves every chunk and ref it
   * holds to their owners, deleting each local copy once every owner
   * confirmed it. `healStatus().drained` says when the node can be removed.
   * Idempotent.
   */
  async drain (): Promise<HealStatus> {
    if (this.heal == null) throw new NodeNotStartedError('this node runs without its reconciler (heal: false) and cannot drain')
    await this.drainFlag.raise()
    this.membership.updateRecord({ state: 'draining' })
    this.heal.notify()
    return this.healStatus()
  }

  /** What the reconciler is doing and has done; `drained` once a draining node holds nothing the mesh needs. */
  async healStatus (): Promise<HealStatus> {
    const chunks = this.store.usage().chunkCount
    let refs = 0
    if (this.refs.status === 'started') {
      for await (const _ of this.refs.store.records()) {
        refs++
        break
      }
    }
    if (this.heal == null) {
      const draining = this.drainFlag.isSet
      const none = { chunks: 0, bytes: 0 }
      return { state: 'stopped', pending: { repair: none, rebalance: none }, totals: { passes: 0, chunkCopies: 0, copiedBytes: 0, copiedBytesByKind: { repair: 0, rebalance: 0 }, refCopies: 0, chunksDeleted: 0, deletedBytes: 0, refsDeleted: 0 }, settled: false, draining, drained: false }
    }
    return this.heal.status({ chunks, refs })
  }

  /**
   * Where a new chunk goes: placement's replica set over this node's map,
   * minus members whose record says full, topped up from
   * the fallbacks. Throws placement's PolicyUnsatisfiableError when fewer
   * than `policy.replicas` nodes are eligible.
   */
  planWrite (cid: CID, policy: PlacementPolicy): WritePlan {
    return planWrite(this.getMap(), id => this.membership.map.member(id), cid, policy)
  }

  /**
   * Writes a chunk to `policy.replicas` nodes through this node's chunk
   * client (chain put, hand-off on failure). Resolves when that many hold a
   * verified copy; throws InsufficientReplicasError otherwise.
   */
  async writeChunk (cid: CID, bytes: Uint8Array, policy: PlacementPolicy, options: AbortOptions & Pick<WriteChunkOptions, 'probe' | 'onAttempt'> = {}): Promise<WriteChunkResult> {
    const plan = this.planWrite(cid, policy)
    return writeChunk({ ...options, client: this.chunks.client, targets: plan.targets, fallbacks: plan.fallbacks, replicas: policy.replicas, policies: [normaliseChunkPolicy(policy)], cid, bytes })
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
  if (init.capacityBytes != null && (!Number.isSafeInteger(init.capacityBytes) || init.capacityBytes < 0)) {
    throw new TypeError('capacityBytes must be a non-negative integer')
  }
  await mkdir(init.dataDir, { recursive: true })
  const privateKey = await loadOrCreateIdentity(init.dataDir)
  const seqs = new SeqStore(init.dataDir)
  await seqs.load()
  const known = await loadKnownPeers(init.dataDir)
  // weight is fixed at start: free space moving with other files must not move data
  const weight = init.weight ?? Math.max(1, init.capacityBytes ?? await diskCapacity(init.dataDir))
  const store = await openChunkStore({ ...init.store, dir: init.dataDir, capacityBytes: init.capacityBytes })
  try {
    return await assemble(init, { meshKey, meshId, timings, zone, privateKey, seqs, known, weight, store })
  } catch (err) {
    await store.close()
    throw err
  }
}

interface Prepared {
  meshKey?: { psk: Uint8Array }
  meshId: string
  timings: MembershipTimings
  zone: string
  privateKey: PrivateKey
  seqs: SeqStore
  known: KnownPeer[]
  weight: number
  store: ChunkStore
}

async function assemble (init: WeftNodeInit, p: Prepared): Promise<WeftNode> {
  const { meshId, timings, store, privateKey } = p
  const topic = membersTopic(meshId)
  const gossipBytes: GossipBytes = { in: 0, out: 0 }
  const libp2p = await createHost({
    privateKey,
    listen: init.listen ?? C.DEFAULT_LISTEN,
    announce: init.announce ?? [],
    psk: p.meshKey?.psk,
    topic,
    gossipBytes,
    maxConnections: init.connections?.maxConnections ?? C.DEFAULT_MAX_CONNECTIONS,
    inboundConnectionThreshold: init.connections?.inboundConnectionThreshold ?? C.DEFAULT_INBOUND_CONNECTION_THRESHOLD,
    maxIncomingPendingConnections: init.connections?.maxIncomingPendingConnections ?? C.DEFAULT_MAX_INCOMING_PENDING_CONNECTIONS,
    dialTimeoutMs: init.connections?.dialTimeoutMs ?? C.DEFAULT_DIAL_TIMEOUT_MS
  })
  const peerId = libp2p.peerId.toString()
  const metrics = createNodeMetrics(init.metrics)
  // membership and the chunk service call back into the node, which exists only at the end
  const late: { node?: WeftNode, membership?: Membership, heal?: Reconciler } = {}
  // a drain decided before a restart still holds
  const drainFlag = new DrainFlag(init.dataDir)
  await drainFlag.load()
  const dialer = memberDialer(libp2p, id => late.membership?.map.member(id)?.record.addrs)
  // members (nodes with a record in the map) may delete; clients only put and read
  const isMember = (peer: PeerId): boolean => late.membership?.map.member(peer.toString()) != null
  const bulkInit = init.bulk === false ? undefined : init.bulk ?? {}
  const chunks = createChunkService({
    libp2p: dialer,
    store,
    isMember,
    observer: (o) => { reporter.observe(o) },
    // to a member announcing a bulk address: the bulk channel; otherwise, or when it fails, libp2p
    transport: bulkInit == null
      ? undefined
      : fallbackTransport(
        bulkTransport({ privateKey, resolve: peer => late.membership?.map.member(peer.toString())?.record.bulkAddr }),
        libp2pTransport(dialer, { highWaterMark: init.chunks?.highWaterMark })
      )
  }, init.chunks)
  const bulk = bulkInit == null ? undefined : createBulkServer({
    // the same per-session and per-peer limits as /weft/chunk/1 unless set here
    maxSessionsPerPeer: init.chunks?.maxSessionsPerPeer,
    maxRequestsPerPeer: init.chunks?.maxRequestsPerPeer,
    maxConcurrentRequests: init.chunks?.maxConcurrentRequests,
    inactivityTimeout: init.chunks?.inactivityTimeout,
    idleTimeout: init.chunks?.idleTimeout,
    bodyBufferBytes: init.chunks?.bodyBufferBytes,
    ...bulkHosts(init.listen ?? C.DEFAULT_LISTEN, init.announce),
    ...bulkInit,
    privateKey,
    handler: observeHandler(createStoreHandler({
      self: libp2p.peerId,
      store,
      client: chunks.client,
      isMember,
      teeBufferBytes: init.chunks?.teeBufferBytes
    }), (o) => { reporter.observe(o) }),
    // a member, or a peer connected over the mesh-key-protected libp2p host (a client)
    isAllowed: peer => isMember(peer) || libp2p.getConnections(peer).length > 0
  })
  const reporter = new StorageReporter({
    store,
    metrics,
    chunks,
    // a usage hook given in init is the record's source: the store then only feeds the metrics
    updateRecord: (patch) => { if (init.usage == null) late.node?.updateRecord(patch) }
  })
  const usage = init.usage ?? (() => reporter.poll())
  const membership = new Membership({
    libp2p,
    privateKey,
    selfId: peerId,
    meshId,
    topic,
    dataDir: init.dataDir,
    seqs: p.seqs,
    fields: {
      peerId,
      meshId,
      zone: p.zone,
      addrs: [],
      bulkAddr: '',
      ...reporter.initialFields(),
      weight: p.weight,
      state: drainFlag.isSet ? 'draining' : 'up',
      load: { inFlight: 0, mbps: 0 },
      version: init.version ?? C.SOFTWARE_VERSION,
      startedAt: Date.now()
    },
    timings,
    maxMembers: init.maxMembers ?? DEFAULT_MAX_MEMBERS,
    targetPeers: init.connections?.targetPeers ?? C.DEFAULT_TARGET_PEERS,
    dialTimeoutMs: init.connections?.dialTimeoutMs ?? C.DEFAULT_DIAL_TIMEOUT_MS,
    seeds: (init.seeds ?? []).map(s => multiaddr(s)),
    known: p.known,
    usage: async () => usage(),
    usageRefreshBeats: C.DEFAULT_USAGE_REFRESH_BEATS,
    gossipBytes,
    budget: { burst: C.GOSSIP_BURST, refillPerBeat: C.GOSSIP_REFILL_PER_BEAT },
    pullBackoffBeats: C.PULL_BACKOFF_BEATS,
    emit: (name, member) => {
      late.node?.safeDispatchEvent(name, { detail: member })
      late.heal?.notify()
    }
  })
  late.membership = membership
  let untrackMembers: (() => void) | undefined
  // refs and bucket records live in <dataDir>/meta-refs (the chunk store opens its own db)
  const refs = createRefService({
    libp2p,
    dir: init.dataDir,
    isMember: peer => late.membership?.map.member(peer.toString()) != null,
    referenced: async (cids, options) => gc.referenced(cids, options)
  }, init.refs)
  const gc = createGarbageCollector({
    self: peerId,
    store,
    refs: () => refs.store,
    chunkClient: chunks.client,
    dialer,
    members: () => membership.map.members(),
    member: id => membership.map.member(id),
    map: () => membership.map.getMap(),
    metrics
  }, init.gc === false ? { enabled: false } : init.gc)
  const refClient = createRefPeerClient({ transport: refsTransport(dialer) })
  // client requests served right now, over libp2p and the bulk channel: background work yields to them
  const activeRequests = (): number => chunks.stats().activeRequests + (bulk?.stats().activeRequests ?? 0)
  const heal = init.heal === false
    ? undefined
    : new Reconciler({
      self: peerId,
      members: () => membership.map.members(),
      store,
      refStore: () => refs.store,
      chunkClient: chunks.client,
      refClient,
      activeRequests,
      metrics,
      draining: () => drainFlag.isSet
    }, init.heal)
  late.heal = heal
  const scrub = init.scrub === false
    ? undefined
    : new Scrubber({
      store,
      client: chunks.client,
      sources: (cid, policies) => scrubSources(peerId, heal?.targetMap() ?? membership.map.getMap(), cid, policies),
      busy: () => activeRequests() > DEFAULT_HEAL_YIELD_ABOVE_REQUESTS
    }, init.scrub)

  // Started in this order after libp2p, stopped in reverse before it: the
  // chunk service stops serving first, then membership announces `leaving`.
  // Services added later (refs, repair) go after `chunks`.
  const components: NodeComponent[] = [
    // before membership, so the first record announces the bulk address
    ...(bulk == null
      ? []
      : [{
          name: 'bulk',
          start: async () => {
            await bulk.start()
            const bulkAddr = bulk.bulkAddr
            if (bulkAddr != null) membership.updateRecord({ bulkAddr })
          },
          stop: async () => bulk.stop()
        }]),
    {
      name: 'membership',
      start: async () => membership.start(),
      stop: async () => membership.stop()
    },
    {
      name: 'member-metrics',
      start: async () => { untrackMembers ??= trackMembers(node, metrics) },
      stop: async () => {
        untrackMembers?.()
        untrackMembers = undefined
      }
    },
    reporter,
    {
      name: 'chunks',
      start: async () => chunks.start(),
      stop: async () => chunks.stop()
    },
    refs,
    ...(scrub == null ? [] : [scrub]),
    // last: it uses all of the above; stopped first, so no copy is cut off by a closing service
    {
      name: 'heal',
      start: async () => heal?.start(),
      stop: async () => {
        await heal?.stop()
        await refClient.close()
      }
    },
    gc
  ]
  const node: WeftNode = new WeftNode({
    peerId,
    meshId,
    dataDir: init.dataDir,
    libp2p,
    timings,
    membership,
    store,
    chunks,
    bulk,
    refs,
    heal,
    scrub,
    drainFlag,
    gc,
    metrics,
    components,
    closers: [async () => store.close()]
  })
  late.node = node
  return node
}
