/**
 * WeftClient: one mesh connection (map, chunk client, ref client, bucket
 * cache) and the object operations over it. Everything a client does goes
 * through this class; `connect()` builds it.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { writeChunk } from '@weft/protocol'
import { createBuckets } from './buckets/index.js'
import { MeshClosedError, connectMesh } from './mesh/index.js'
import { deleteObject } from './objects/delete.js'
import { getObject, headObject } from './objects/get.js'
import { listObjects } from './objects/list.js'
import { ManifestCache } from './objects/manifest-cache.js'
import { putObject } from './objects/put.js'
import { ReplicaReader } from './reads/reader.js'
import { createRefClient } from './refs/index.js'
import { objectStream } from './stream-helpers.js'
import type { Buckets, BucketsInit } from './buckets/index.js'
import type { ConnectMeshInit, MeshConnection } from './mesh/index.js'
import type { GetOptions, ListOptions, ObjectComponents, ObjectHead, ObjectInfo, PutOptions, PutResult } from './objects/types.js'
import type { ReplicaFault } from './reads/hedged.js'
import type { ReadStats, ReplicaReaderInit } from './reads/reader.js'
import type { RefClient, RefClientInit } from './refs/index.js'
import type { ByteSource, ObjectStream } from './stream-helpers.js'
import type { AbortOptions } from '@libp2p/interface'
import type { ClusterMap } from '@weft/placement'
import type { BucketPolicy, BucketRecord } from '@weft/protocol'

const log = logger('weft:client')

export interface WeftClientInit extends ConnectMeshInit {
  /** the read path: hedging, attempt timeout, read-ahead budget, latency statistics */
  reads?: ReplicaReaderInit
  /**
   * bytes of manifest nodes kept in memory
   *
   * @default DEFAULT_MANIFEST_CACHE_BYTES (16 MiB)
   */
  manifestCacheBytes?: number
  /** the ref client: replica timeout, read repair */
  refs?: Omit<RefClientInit, 'clock'>
  /** the bucket policy cache */
  buckets?: BucketsInit
}

export interface WeftClientEvents {
  /** a replica sent bytes that failed verification, or said its copy is corrupt; another replica served the read */
  'replica:corrupt': CustomEvent<ReplicaFault>
  /** a replica failed a read (error, timeout, missing chunk); another replica was asked */
  'replica:error': CustomEvent<ReplicaFault>
  /** the cluster map changed */
  'map:changed': CustomEvent<ClusterMap>
}

export type ClientStatus = 'connected' | 'closing' | 'closed'

export class WeftClient extends TypedEventEmitter<WeftClientEvents> {
  /** this client's libp2p peer id (the writer id of its versions) */
  readonly peerId: string
  /** the mesh connection: map, members, chunk client, libp2p host */
  readonly mesh: MeshConnection
  /** refs with majority quorums (lower level than objects) */
  readonly refs: RefClient
  readonly buckets: Buckets
  private readonly reader: ReplicaReader
  private readonly objects: ObjectComponents
  private readonly stopMapEvents: () => void
  private closing?: Promise<void>
  private state: ClientStatus = 'connected'

  /** Use connect(). */
  constructor (mesh: MeshConnection, init: Omit<WeftClientInit, keyof ConnectMeshInit> = {}) {
    super()
    this.mesh = mesh
    this.peerId = mesh.peerId
    this.refs = createRefClient(mesh, init.refs)
    this.buckets = createBuckets({ refs: this.refs, mesh }, init.buckets)
    this.reader = new ReplicaReader({
      chunks: mesh.chunkClient,
      placement: () => mesh.placement(),
      reader: { peerId: mesh.peerId, zone: mesh.zone },
      onFault: fault => { this.onFault(fault) }
    }, init.reads)
    this.objects = {
      chunks: mesh.chunkClient,
      placement: () => mesh.placement(),
      refs: this.refs,
      policyOf: async (bucket, options) => (await this.buckets.getBucket(bucket, options)).policy,
      clock: this.refs.clock,
      reader: this.reader,
      manifests: new ManifestCache({ maxBytes: init.manifestCacheBytes }),
      isFull: peer => mesh.member(peer)?.record.full === true,
      writeChunk
    }
    this.stopMapEvents = mesh.onChange(map => { this.safeDispatchEvent('map:changed', { detail: map }) })
  }

  get status (): ClientStatus {
    return this.state
  }

  /** Creates a bucket with a policy (defaults: 3 replicas spread over hosts, anywhere, 4 MiB chunks). */
  async createBucket (name: string, policy: Partial<BucketPolicy> = {}, options: AbortOptions = {}): Promise<BucketRecord> {
    return this.buckets.createBucket(name, policy, options)
  }

  /** Deletes an empty bucket. */
  async deleteBucket (name: string, options: AbortOptions = {}): Promise<void> {
    await this.buckets.deleteBucket(name, options)
  }

  /** Every live bucket, by name. */
  async listBuckets (options: AbortOptions = {}): Promise<BucketRecord[]> {
    return this.buckets.listBuckets(options)
  }

  /** A bucket's record and policy (cached for a few seconds). */
  async getBucket (name: string, options: AbortOptions = {}): Promise<BucketRecord> {
    return this.buckets.getBucket(name, options)
  }

  /**
   * Stores an object, streaming `source` in bounded memory whatever its size.
   * Resolves once every chunk, the manifest and the ref are stored on their
   * replicas; from then on every get sees it. A put that fails or is
   * aborted leaves the previous version (or nothing) visible.
   */
  async put (bucket: string, key: string, source: ByteSource, options: PutOptions = {}): Promise<PutResult> {
    this.checkOpen()
    return putObject(this.objects, bucket, key, source, options)
  }

  /**
   * The object's bytes, verified, in order (a range with `options.range`).
   * Nothing is fetched until the iteration starts; a missing object throws
   * NotFoundError then. Use `.toNodeReadable()`, `.toWebStream()` or
   * `.bytes()` to hand it on.
   */
  get (bucket: string, key: string, options: GetOptions = {}): ObjectStream {
    this.checkOpen()
    // the stream's helpers keep pieces beyond the next one: they never get lent buffers
    const owned = options.reuseBuffers === true ? getObject(this.objects, bucket, key, { ...options, reuseBuffers: false }) : undefined
    return objectStream(getObject(this.objects, bucket, key, options), owned)
  }

  /** What the object is (size, ETag, content type, metadata, version). Throws NotFoundError. */
  async head (bucket: string, key: string, options: AbortOptions = {}): Promise<ObjectInfo> {
    this.checkOpen()
    return headObject(this.objects, bucket, key, options)
  }

  /** Deletes an object (a tombstone wins over every older put). Deleting a missing key is not an error. */
  async delete (bucket: string, key: string, options: AbortOptions = {}): Promise<void> {
    this.checkOpen()
    await deleteObject(this.objects, bucket, key, options)
  }

  /** The bucket's live objects in key order, fetched page by page as the iteration goes. */
  list (bucket: string, options: ListOptions = {}): AsyncIterable<ObjectHead> {
    this.checkOpen()
    return listObjects(this.objects, bucket, options)
  }

  /** What the read path measured (per-peer latency, load, bytes) and counted (hedges, failovers, corruption). */
  readStats (): ReadStats {
    return this.reader.counts()
  }

  /** Leaves the mesh: waits for background ref repairs, closes every stream and connection, stops every timer. Idempotent. */
  async close (): Promise<void> {
    if (this.closing != null) return this.closing
    this.state = 'closing'
    this.closing = (async () => {
      this.stopMapEvents()
      try {
        await this.refs.close()
      } catch (err) {
        log('closing the ref client failed - %e', err)
      }
      await this.mesh.close()
      this.objects.manifests.clear()
      this.state = 'closed'
    })()
    return this.closing
  }

  private onFault (fault: ReplicaFault): void {
    if (fault.kind === 'corrupt') {
      log.error('replica %s sent a corrupt copy of %s (%s): read from another replica', fault.peer, fault.cid, fault.code)
      this.safeDispatchEvent('replica:corrupt', { detail: fault })
    } else {
      this.safeDispatchEvent('replica:error', { detail: fault })
    }
  }

  private checkOpen (): void {
    if (this.state !== 'connected') throw new MeshClosedError('the client is closed')
  }
}

/**
 * Joins a mesh as a client (not a storage member) through any of `seeds`
 * and keeps its map fresh until `close()`.
 */
export async function connect (init: WeftClientInit): Promise<WeftClient> {
  const { reads, manifestCacheBytes, refs, buckets, ...meshInit } = init
  const mesh = await connectMesh(meshInit)
  return new WeftClient(mesh, { reads, manifestCacheBytes, refs, buckets })
}
