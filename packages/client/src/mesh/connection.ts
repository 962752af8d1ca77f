/**
 * A client's connection to a mesh: a dial-only libp2p host that joins
 * through any seed, pulls every member's signed record with the sync
 * protocol, follows heartbeats on the members topic, re-syncs periodically
 * (which also carries liveness ages), and keeps a ClusterMap fresh for
 * placement. It never publishes a record: it is not a storage member.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { createPlacement } from '@weft/placement'
import { bulkTransport, createChunkClient, fallbackTransport, libp2pTransport, MEMBERS_SYNC_PROTOCOL, openRecord, requestMemberSync } from '@weft/protocol'
import * as C from './constants.js'
import { MeshClosedError, NoSeedReachableError } from './errors.js'
import { gossipValidator } from './gossip.js'
import { MemberView } from './member-view.js'
import type { ClientServices } from './host.js'
import type { MemberChange, MeshMember } from './member-view.js'
import type { AbortOptions, Libp2p, PeerId, PrivateKey, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { ClusterMap, Placement } from '@weft/placement'
import type { ChunkClient, ChunkClientInit, ChunkTransport, MemberSyncLocal, StreamDialer } from '@weft/protocol'

const log = logger('weft:client:mesh')

export interface MeshTimings {
  /**
   * a member nobody heard from for this long is down (use the nodes' value)
   *
   * @default 15000
   */
  downAfterMs: number
  /**
   * period of full re-syncs with a member (records and liveness ages)
   *
   * @default 5000
   */
  resyncMs: number
  /**
   * one dial attempt
   *
   * @default 5000
   */
  dialTimeoutMs: number
  /**
   * connectMesh fails with ERR_NO_SEED_REACHABLE when no seed answered within this
   *
   * @default 10000
   */
  connectTimeoutMs: number
}

export interface MeshEvents {
  /** the cluster map changed (a member joined, went down, came back, or changed weight, zone or state) */
  'map:changed': CustomEvent<ClusterMap>
  /** a member became usable: first heard of, or back from down */
  'member:up': CustomEvent<MeshMember>
  /** a member went silent for downAfterMs, or announced it is leaving */
  'member:down': CustomEvent<MeshMember>
  /** a member's record changed without a liveness change */
  'member:updated': CustomEvent<MeshMember>
}

export type MeshStatus = 'connected' | 'closing' | 'closed'

interface Backoff {
  until: number
  delay: number
}

const now = (): number => performance.now()

async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done (): void {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    function onAbort (): void {
      clearTimeout(timer)
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export class MeshConnection extends TypedEventEmitter<MeshEvents> {
  readonly peerId: string
  readonly meshId: string
  readonly zone: string
  readonly libp2p: Libp2p<ClientServices>
  /** chunk operations on any member, over this connection */
  readonly chunkClient: ChunkClient
  /** opens protocol streams to members, dialling the addresses in their records when not connected */
  readonly dialer: StreamDialer
  readonly timings: MeshTimings
  private readonly view: MemberView
  private readonly topic: string
  private readonly seeds: Multiaddr[]
  private readonly targetPeers: number
  private readonly maxMembers: number
  private readonly controller = new AbortController()
  private readonly backoff = new Map<string, Backoff>()
  private readonly dialing = new Set<string>()
  private readonly local: MemberSyncLocal
  private state: MeshStatus = 'connected'
  private ticker?: ReturnType<typeof setInterval>
  private resyncer?: ReturnType<typeof setInterval>
  private syncing = false
  private pullWanted = false
  private lastPullAt = -Infinity
  private emittedVersion = -1
  private memo?: { map: ClusterMap, placement: Placement }
  private closing?: Promise<void>

  /** Use connectMesh(). */
  constructor (fields: { libp2p: Libp2p<ClientServices>, meshId: string, topic: string, zone: string, seeds: Multiaddr[], timings: MeshTimings, targetPeers: number, maxMembers: number, chunks?: Omit<ChunkClientInit, 'transport'>, privateKey?: PrivateKey }) {
    super()
    this.libp2p = fields.libp2p
    this.peerId = fields.libp2p.peerId.toString()
    this.meshId = fields.meshId
    this.topic = fields.topic
    this.zone = fields.zone
    this.seeds = fields.seeds
    this.timings = fields.timings
    this.targetPeers = fields.targetPeers
    this.maxMembers = fields.maxMembers
    this.view = new MemberView({ downAfterMs: fields.timings.downAfterMs, maxMembers: fields.maxMembers, now })
    this.local = {
      // a client holds nothing it could give: an empty digest asks for every record, each with its liveness age
      entries: () => [],
      lookup: () => undefined,
      receive: async (bytes, ageMs) => {
        const signed = await openRecord(bytes, { meshId: this.meshId, signal: this.controller.signal })
        this.report(this.view.ingest(signed, ageMs).changes)
      }
    }
    this.dialer = {
      dialProtocol: async (peer: PeerId, protocols: string | string[], options?: AbortOptions): Promise<Stream> => {
        if (this.state !== 'connected') throw new MeshClosedError('the mesh connection is closed')
        if (this.libp2p.getConnections(peer).length > 0) return this.libp2p.dialProtocol(peer, protocols, options)
        const addrs = this.addrsOf(peer.toString())
        return this.libp2p.dialProtocol(addrs.length > 0 ? addrs : peer, protocols, options)
      }
    }
    const overLibp2p = libp2pTransport(this.dialer)
    if (fields.privateKey == null) {
      this.chunkClient = createChunkClient({ ...fields.chunks, transport: overLibp2p })
    } else {
      // Bulk bytes go over the node's TLS bulk channel (several times libp2p's
      // throughput here). A node admits a client there only while it holds a
      // mesh-key-protected libp2p connection to it, so make sure of one first;
      // anything that fails falls back to the same requests over libp2p.
      const overTls = bulkTransport({ privateKey: fields.privateKey, resolve: peer => this.view.records.get(peer.toString())?.record.bulkAddr })
      const admitted: ChunkTransport = async (peer, options) => {
        if (this.libp2p.getConnections(peer).length === 0) {
          const addrs = this.addrsOf(peer.toString())
          await this.libp2p.dial(addrs.length > 0 ? addrs : peer, options)
        }
        return overTls(peer, options)
      }
      this.chunkClient = createChunkClient({ ...fields.chunks, transport: fallbackTransport(admitted, overLibp2p) })
    }
  }

  get status (): MeshStatus {
    return this.state
  }

  /** The cluster map: an immutable snapshot in placement's shape; the same object until it changes. */
  getMap (): ClusterMap {
    return this.view.getMap()
  }

  /** Placement over the current map (one per map version, with its caches). */
  placement (): Placement {
    const map = this.view.getMap()
    if (this.memo?.map !== map) this.memo = { map, placement: createPlacement(map) }
    return this.memo.placement
  }

  /** Every member with its record, placement state and when it was last heard from, sorted by peer id. */
  members (): MeshMember[] {
    return this.view.members()
  }

  member (peerId: string): MeshMember | undefined {
    return this.view.member(peerId)
  }

  /** Calls `listener` with each new map; returns the function that stops it. */
  onChange (listener: (map: ClusterMap) => void): () => void {
    const handler = (evt: CustomEvent<ClusterMap>): void => { listener(evt.detail) }
    this.addEventListener('map:changed', handler)
    return () => { this.removeEventListener('map:changed', handler) }
  }

  /** Joins through the seeds (connectMesh calls it): resolves once one of them answered a full sync. */
  async join (connectTimeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = now() + connectTimeoutMs
    let delay: number = C.SEED_RETRY_MIN_MS
    for (;;) {
      const failures: Array<{ seed: string, error: string }> = []
      const attemptSignal = AbortSignal.any([
        this.controller.signal,
        AbortSignal.timeout(Math.ceil(Math.max(1, Math.min(this.timings.dialTimeoutMs, deadline - now())))),
        ...(signal != null ? [signal] : [])
      ])
      try {
        await Promise.any(this.seeds.map(async seed => {
          try {
            const connection = await this.libp2p.dial(seed, { signal: attemptSignal })
            await this.syncWith(connection.remotePeer, attemptSignal)
          } catch (err) {
            failures.push({ seed: seed.toString(), error: (err as Error).message })
            throw err
          }
        }))
        break
      } catch {
        signal?.throwIfAborted()
        if (now() + delay >= deadline) {
          const list = this.seeds.map(s => s.toString()).join(', ')
          throw new NoSeedReachableError(`cannot reach any seed (${list}) within ${connectTimeoutMs} ms: no node answered; is a mesh running, and is the mesh key right?`, failures)
        }
        log('no seed answered, retrying in %d ms: %o', delay, failures)
        await sleep(delay, signal)
        delay = Math.min(C.SEED_RETRY_MAX_MS, delay * 2)
      }
    }
    this.startTimers()
    this.maintainConnections()
  }

  private startTimers (): void {
    if (this.ticker != null) return
    const checkMs = Math.max(50, Math.min(1000, Math.floor(this.timings.downAfterMs / 4)))
    this.ticker = setInterval(() => { this.tick() }, checkMs)
    this.resyncer = setInterval(() => { this.resync() }, this.timings.resyncMs)
  }

  private tick (): void {
    if (this.state !== 'connected') return
    this.report(this.view.evaluateAll())
    this.maintainConnections()
    if (this.pullWanted && now() - this.lastPullAt >= C.PULL_MIN_INTERVAL_MS) this.resync()
  }

  /** Reports member changes as events, then the map if its version moved. */
  private report (changes: MemberChange[]): void {
    for (const c of changes) this.safeDispatchEvent(`member:${c.kind}`, { detail: c.member })
    const map = this.view.getMap()
    if (map.version !== this.emittedVersion) {
      this.emittedVersion = map.version
      this.safeDispatchEvent('map:changed', { detail: map })
    }
  }

  private async syncWith (peer: PeerId, signal: AbortSignal): Promise<void> {
    const opts = { signal: AbortSignal.any([signal, AbortSignal.timeout(C.SYNC_TIMEOUT_MS)]) }
    const stream = await this.libp2p.dialProtocol(peer, MEMBERS_SYNC_PROTOCOL, opts)
    const result = await requestMemberSync(stream, this.local, { ...opts, maxMembers: this.maxMembers })
    this.report(this.view.heard(peer.toString()))
    log.trace('synced with %p: %o', peer, result)
  }

  /** One full sync with a connected member; when connected to none, through the seeds or any member we know. */
  private resync (): void {
    if (this.state !== 'connected' || this.syncing) return
    this.syncing = true
    this.pullWanted = false
    this.lastPullAt = now()
    this.resyncOnce()
      .catch(err => { log('re-sync failed - %e', err) })
      .finally(() => { this.syncing = false })
  }

  private async resyncOnce (): Promise<void> {
    const signal = this.controller.signal
    const connected = this.libp2p.getPeers().filter(p => this.view.records.has(p.toString()))
    const peer = connected[Math.floor(Math.random() * connected.length)]
    if (peer != null) {
      await this.syncWith(peer, signal)
      return
    }
    // cut off from every member: dial the seeds and the members we know until one answers
    const candidates: Array<Multiaddr | Multiaddr[]> = [...this.seeds]
    for (const m of this.view.members()) if (m.state !== 'down') candidates.push(this.addrsOf(m.peerId))
    for (const target of candidates) {
      if (this.state !== 'connected') return
      try {
        const dialSignal = AbortSignal.any([signal, AbortSignal.timeout(this.timings.dialTimeoutMs)])
        const connection = await this.libp2p.dial(target, { signal: dialSignal })
        await this.syncWith(connection.remotePeer, signal)
        return
      } catch (err) {
        log('reconnect through %s failed - %e', String(target), err)
      }
    }
  }

  private readonly onMissing = (): void => {
    this.pullWanted = true
  }

  /** Dials live members until connected to `targetPeers` of them (all when fewer). */
  private maintainConnections (): void {
    if (this.state !== 'connected') return
    const connected = new Set(this.libp2p.getPeers().map(p => p.toString()))
    const candidates: string[] = []
    let connectedMembers = 0
    for (const m of this.view.members()) {
      if (m.state === 'down' || m.record.addrs.length === 0) continue
      if (connected.has(m.peerId)) connectedMembers++
      else candidates.push(m.peerId)
    }
    let need = Math.min(this.targetPeers, connectedMembers + candidates.length) - connectedMembers
    const t = now()
    for (const id of candidates.sort(() => Math.random() - 0.5)) {
      if (need <= 0 || this.dialing.size >= C.MAX_PARALLEL_MEMBER_DIALS) break
      const b = this.backoff.get(id)
      if (this.dialing.has(id) || (b != null && t < b.until)) continue
      need--
      this.dialing.add(id)
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.timings.dialTimeoutMs)])
      this.libp2p.dial(this.addrsOf(id), { signal })
        .then(() => { this.backoff.delete(id) }, err => {
          const delay = Math.min(C.MEMBER_DIAL_BACKOFF_MAX_MS, b == null ? C.MEMBER_DIAL_BACKOFF_MIN_MS : b.delay * 2)
          this.backoff.set(id, { until: now() + delay, delay })
          log('dial %s failed, retry in %d ms - %e', id, delay, err)
        })
        .finally(() => { this.dialing.delete(id) })
    }
    if (this.backoff.size > 4 * this.maxMembers) this.backoff.clear()
  }

  private addrsOf (peerId: string): Multiaddr[] {
    const record = this.view.records.get(peerId)?.record
    if (record == null) return []
    const out: Multiaddr[] = []
    for (const a of record.addrs) {
      try {
        out.push(multiaddr(a).encapsulate(`/p2p/${peerId}`))
      } catch {
        // validated records hold parseable addrs
      }
    }
    return out
  }

  /** Installs the gossip validator and subscribes to the members topic (connectMesh calls it). */
  listen (): void {
    const pubsub = this.libp2p.services.pubsub
    pubsub.topicValidators.set(this.topic, gossipValidator({
      meshId: this.meshId,
      view: this.view,
      onChanges: (changes) => { this.report(changes) },
      onMissing: this.onMissing
    }))
    pubsub.subscribe(this.topic)
  }

  /** Stops every timer, dial and stream, and the libp2p host. Idempotent. */
  async close (): Promise<void> {
    if (this.closing != null) return this.closing
    this.state = 'closing'
    this.closing = (async () => {
      this.controller.abort(new MeshClosedError('the mesh connection is closed'))
      clearInterval(this.ticker)
      clearInterval(this.resyncer)
      try {
        const pubsub = this.libp2p.services.pubsub
        pubsub.unsubscribe(this.topic)
        pubsub.topicValidators.delete(this.topic)
      } catch (err) {
        log('unsubscribe failed - %e', err)
      }
      await this.chunkClient.close().catch(err => { log('closing the chunk client failed - %e', err) })
      await this.libp2p.stop()
      this.state = 'closed'
    })()
    return this.closing
  }
}
