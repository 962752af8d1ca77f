/**
 * Refs (mutable names) with quorum reads and writes over the mesh. A ref's
 * replicas are placement's replica set for its partition under the
 * bucket's policy; a write is acknowledged by a majority (floor(r/2) + 1)
 * with hand-off to fallbacks for failed replicas, a read takes a majority's
 * answers, returns the newest version and repairs older copies in the
 * background. Versions come from this client's hybrid clock (writer = its
 * peer id), which absorbs every version it reads.
 */
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { PolicyUnsatisfiableError, createPlacement, partitionOfRef } from '@weft/placement'
import {
  compareVersions, createRefPeerClient, encodeStoredRecord, HybridClock, isBucketRecord, MAX_LIST_LIMIT, newerRef,
  recordLocation, refsTransport, tombstone, validateKey, validateRefBucket, validateRefListRequest
} from '@weft/protocol'
import { DEFAULT_LIST_PAGE_SIZE, DEFAULT_REF_REPLICA_TIMEOUT } from './constants.js'
import { mergeListing } from './list.js'
import { majority, quorum } from './quorum.js'
import type { ListSource } from './list.js'
import type { QuorumAnswer } from './quorum.js'
import type { AbortOptions } from '@libp2p/interface'
import type { ClusterMap, Placement, PlacementPolicy } from '@weft/placement'
import type { RecordLocation, RefPeerClient, RefRecord, StoredRecord, StreamDialer, Version } from '@weft/protocol'

const log = logger('weft:client:refs')

/** What the ref client needs from the mesh connection. */
export interface RefMeshView {
  readonly peerId: string
  getMap(): ClusterMap
  placement(): Placement
  readonly dialer: StreamDialer
}

export interface RefClientInit {
  /**
   * how long one replica may take to answer (ms), opening its stream included
   *
   * @default DEFAULT_REF_REPLICA_TIMEOUT
   */
  replicaTimeout?: number
  /**
   * the clock stamping this client's writes
   *
   * @default a HybridClock with writer = the mesh peer id
   */
  clock?: HybridClock
  /**
   * repair replicas found holding older versions on reads
   *
   * @default true
   */
  readRepair?: boolean
}

/** A ref to write: the version is stamped by the client's clock when absent. */
export type RefWrite = Omit<RefRecord, 'version'> & { readonly version?: Version }

export interface PutRecordResult<T extends StoredRecord = StoredRecord> {
  /** the record as written (with its version) */
  readonly record: T
  /** replicas that acknowledged it durably (at least a majority), in order of answer */
  readonly acked: readonly string[]
  /** fallback peers that stood in for failed replicas among `acked` */
  readonly handedOff: readonly string[]
  /** a newer version some replica already holds: this write lost to it (last writer wins) */
  readonly newerVersion?: Version
}

export interface ListRefsOptions extends AbortOptions {
  /** only keys starting with this */
  prefix?: string
  /** only keys after this one */
  startAfter?: string
  /** stop after this many refs */
  limit?: number
  /**
   * records asked of each node per request (1..1000)
   *
   * @default 1000
   */
  pageSize?: number
}

export interface ListPage {
  readonly refs: RefRecord[]
  /** more refs follow the last one */
  readonly isTruncated: boolean
  /** the cursor of the next page (the last key), when truncated */
  readonly nextStartAfter?: string
}

interface ReplicaPlan {
  replicas: string[]
  fallbacks: string[]
  need: number
}

export class RefClient {
  readonly clock: HybridClock
  private readonly mesh: RefMeshView
  private readonly peers: RefPeerClient
  private readonly readRepair: boolean
  private readonly background = new Set<Promise<unknown>>()
  private closed = false

  constructor (mesh: RefMeshView, init: RefClientInit = {}) {
    this.mesh = mesh
    this.clock = init.clock ?? new HybridClock({ writer: mesh.peerId })
    this.readRepair = init.readRepair ?? true
    this.peers = createRefPeerClient({
      transport: refsTransport(mesh.dialer),
      requestTimeout: init.replicaTimeout ?? DEFAULT_REF_REPLICA_TIMEOUT
    })
  }

  /** Writes an object ref (stamped with a fresh version unless it has one). Tombstones too. */
  async putRef (ref: RefWrite, policy: PlacementPolicy, options: AbortOptions = {}): Promise<PutRecordResult<RefRecord>> {
    const record: RefRecord = { ...ref, version: ref.version ?? this.clock.now() }
    return this.putRecord(record, policy, options)
  }

  /** Writes a tombstone for `bucket/key`: readers see no ref from then on. */
  async deleteRef (bucket: string, key: string, policy: PlacementPolicy, options: AbortOptions = {}): Promise<PutRecordResult<RefRecord>> {
    return this.putRecord(tombstone(bucket, key, this.clock.now()), policy, options)
  }

  /** The newest ref at `bucket/key` by a majority read (a tombstone when deleted), or undefined. */
  async getRef (bucket: string, key: string, policy: PlacementPolicy, options: AbortOptions = {}): Promise<RefRecord | undefined> {
    const record = await this.getRecord({ bucket, key }, policy, options)
    if (record != null && isBucketRecord(record)) throw new TypeError(`${bucket}/${key} holds a bucket record, not an object ref`)
    return record
  }

  /**
   * Writes any record (object ref or bucket record) to its replicas: resolves
   * when a majority acknowledged it durably; throws QuorumError when even the
   * fallbacks cannot make one, and placement's PolicyUnsatisfiableError when
   * the policy cannot be met at all.
   */
  async putRecord<T extends StoredRecord> (record: T, policy: PlacementPolicy, options: AbortOptions = {}): Promise<PutRecordResult<T>> {
    this.checkOpen()
    // the caller's mistakes fail here, once, not as every replica's failure
    encodeStoredRecord(record)
    const loc = recordLocation(record)
    const plan = this.plan(loc, policy)
    const round = await abortable(quorum({
      ...plan,
      what: `write of ${loc.bucket}/${loc.key}`,
      ask: async (peer) => this.peers.put(peerIdFromString(peer), record, options)
    }), options)
    this.track(round.done)
    let newerVersion: Version | undefined
    for (const a of round.answers) {
      if (a.value.status === 'older' && (newerVersion == null || compareVersions(a.value.current, newerVersion) > 0)) newerVersion = a.value.current
    }
    if (newerVersion != null) this.absorb(newerVersion)
    return {
      record,
      acked: round.answers.map(a => a.peer),
      handedOff: round.answers.filter(a => a.handedOff).map(a => a.peer),
      ...(newerVersion != null ? { newerVersion } : {})
    }
  }

  /** The newest record at `loc` by a majority read; older copies are repaired in the background. */
  async getRecord (loc: RecordLocation, policy: PlacementPolicy, options: AbortOptions = {}): Promise<StoredRecord | undefined> {
    this.checkOpen()
    validateRefBucket(loc.bucket)
    validateKey(loc.key)
    const plan = this.plan(loc, policy)
    const round = await abortable(quorum({
      ...plan,
      what: `read of ${loc.bucket}/${loc.key}`,
      ask: async (peer) => this.peers.get(peerIdFromString(peer), loc, options),
      // a stand-in that holds nothing may simply never have seen the write: wait for the home replicas
      decisive: a => !a.handedOff || a.value !== undefined
    }), options)
    const newest = newestOf(round.answers)
    if (newest != null) this.absorb(newest.version)
    if (this.readRepair) this.track(round.done.then(async all => { await this.repair(newestOf(all.answers), all.answers, plan) }))
    return newest
  }

  /**
   * Every live object ref of a bucket in key order (UTF-8 byte order), merged
   * across all live nodes: newest version per key, tombstones dropped.
   * `policy` is the bucket's: it says how many failed nodes a complete
   * listing tolerates (floor(r / 2)); more fail with ListIncompleteError.
   */
  async * listRefs (bucket: string, policy: PlacementPolicy, options: ListRefsOptions = {}): AsyncGenerator<RefRecord> {
    for await (const record of this.listRecords(bucket, policy, options)) {
      if (!isBucketRecord(record)) yield record
    }
  }

  /** One page of live refs, S3 style: at most `limit` (<= 1000), and whether more follow. */
  async listPage (bucket: string, policy: PlacementPolicy, options: Omit<ListRefsOptions, 'pageSize'> & { limit: number }): Promise<ListPage> {
    const limit = options.limit
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw new TypeError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}`)
    const refs: RefRecord[] = []
    let isTruncated = false
    for await (const ref of this.listRefs(bucket, policy, { ...options, limit: limit + 1, pageSize: Math.min(MAX_LIST_LIMIT, limit + 1) })) {
      if (refs.length === limit) {
        isTruncated = true
        break
      }
      refs.push(ref)
    }
    const last = refs.at(-1)
    return isTruncated && last != null ? { refs, isTruncated, nextStartAfter: last.key } : { refs, isTruncated }
  }

  /** Every live record of a bucket (or of the bucket namespace), merged across nodes. */
  async * listRecords (bucket: string, policy: PlacementPolicy, options: ListRefsOptions = {}): AsyncGenerator<StoredRecord> {
    this.checkOpen()
    const prefix = options.prefix ?? ''
    const pageSize = options.pageSize ?? DEFAULT_LIST_PAGE_SIZE
    validateRefListRequest({ bucket, prefix, startAfter: options.startAfter, limit: pageSize })
    const limit = options.limit ?? Infinity
    if (limit <= 0) return
    const nodes = this.mesh.getMap().nodes.filter(n => n.state === 'up' || n.state === 'draining')
    const sources: ListSource[] = nodes.map(n => ({
      peer: n.peerId,
      fetch: async (after, size) => this.peers.list(peerIdFromString(n.peerId), {
        bucket, prefix, limit: size, ...(after !== undefined ? { startAfter: after } : {})
      }, options)
    }))
    let yielded = 0
    for await (const record of mergeListing(sources, { startAfter: options.startAfter, pageSize, tolerate: majority(policy.replicas) - 1, signal: options.signal })) {
      if (record.deleted) continue
      yield record
      if (++yielded >= limit) return
    }
  }

  /** Resolves once every background write and read repair started so far has ended. */
  async settled (): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background])
  }

  /** Waits for background work, then closes every stream. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.settled()
    await this.peers.close()
  }

  private checkOpen (): void {
    if (this.closed) throw new TypeError('the ref client is closed')
  }

  /**
   * A ref's quorum is counted over its home replicas: the replica set of the
   * map in which down (not yet out) members still count as up. A blip then
   * neither moves the quorum nor makes it unreachable: with r = 3 and one home
   * replica down, the two others are a majority, and the write hands off to
   * the current placement's next node only when a live home replica fails.
   */
  private plan (loc: RecordLocation, policy: PlacementPolicy): ReplicaPlan {
    const partition = partitionOfRef(loc.bucket, loc.key)
    const home = homePlacement(this.mesh.getMap()).replicaSet(partition, policy).nodes.map(n => n.peerId)
    const current = this.mesh.placement()
    const homeSet = new Set(home)
    let fallbacks: string[] = []
    try {
      fallbacks = [...current.replicaSet(partition, policy).nodes, ...current.fallbacks(partition, policy)]
        .map(n => n.peerId)
        .filter(peer => !homeSet.has(peer))
    } catch (err) {
      if (!(err instanceof PolicyUnsatisfiableError)) throw err
      // fewer live nodes than r (say 3 of 5 lost, not yet replaced): every
      // live allowed node stands in for the home replicas that are gone,
      // which is where repair puts their copies
      const live = err.details.eligibleNodes
      if (live > 0) {
        fallbacks = current.replicaSet(partition, { ...policy, replicas: live }).nodes
          .map(n => n.peerId)
          .filter(peer => !homeSet.has(peer))
      }
    }
    // a down home replica is not asked (its dial could take a timeout), yet
    // still counts in the size of the majority
    const down = new Set(this.mesh.getMap().nodes.filter(n => n.state !== 'up' && n.state !== 'draining').map(n => n.peerId))
    return { replicas: home.filter(peer => !down.has(peer)), fallbacks, need: majority(home.length) }
  }

  /** Puts the newest copy on home replicas that answered older or nothing, and on anyone that answered older. */
  private async repair (newest: StoredRecord | undefined, answers: ReadonlyArray<QuorumAnswer<StoredRecord | undefined>>, plan: ReplicaPlan): Promise<void> {
    if (newest == null || this.closed) return
    const home = new Set(plan.replicas)
    const stale = answers.filter(a => a.value == null ? home.has(a.peer) : compareVersions(a.value.version, newest.version) < 0)
    await Promise.all(stale.map(async a => {
      try {
        await this.peers.put(peerIdFromString(a.peer), newest)
        log('repaired %s/%s on %s', recordLocation(newest).bucket, recordLocation(newest).key, a.peer)
      } catch (err) {
        log('read repair on %s failed - %e', a.peer, err)
      }
    }))
  }

  private absorb (version: Version): void {
    try {
      this.clock.update(version)
    } catch (err) {
      log('not following version from %s - %e', version.writer, err)
    }
  }

  private track (p: Promise<unknown>): void {
    const tracked = p.catch(err => { log('background ref work failed - %e', err) })
    this.background.add(tracked)
    void tracked.finally(() => { this.background.delete(tracked) })
  }
}

const homePlacements = new WeakMap<ClusterMap, Placement>()

/** Placement over the map with down members counted as up (memoized per map snapshot). */
function homePlacement (map: ClusterMap): Placement {
  let placement = homePlacements.get(map)
  if (placement == null) {
    const nodes = map.nodes.map(n => n.state === 'down' ? { ...n, state: 'up' as const } : n)
    placement = createPlacement({ version: map.version, nodes })
    homePlacements.set(map, placement)
  }
  return placement
}

/** A round cut short by the caller's abort reports the abort, not the replicas' resulting failures. */
async function abortable<T> (round: Promise<T>, options: AbortOptions): Promise<T> {
  try {
    return await round
  } catch (err) {
    options.signal?.throwIfAborted()
    throw err
  }
}

function newestOf (answers: ReadonlyArray<QuorumAnswer<StoredRecord | undefined>>): StoredRecord | undefined {
  let newest: StoredRecord | undefined
  for (const a of answers) {
    if (a.value != null) newest = newest == null ? a.value : newerRef(newest, a.value)
  }
  return newest
}

/** A ref client over a mesh connection (or anything with its peer id, map, placement and dialer). */
export function createRefClient (mesh: RefMeshView, init: RefClientInit = {}): RefClient {
  return new RefClient(mesh, init)
}
