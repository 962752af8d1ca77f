/**
 * Buckets: a name plus a policy, stored as records under the reserved
 * namespace (`BUCKETS_NAMESPACE/<name>`) with the ref machinery (majority
 * writes and reads). A small per-client cache keeps policies for
 * `cacheTtlMs`, so object operations do not read the bucket record every
 * time; a delete or create through this client updates it at once, other
 * clients' changes show within the TTL.
 */
import {
  BUCKETS_NAMESPACE, bucketsNamespacePolicy as namespacePolicyFor, isBucketRecord, resolveBucketPolicy, validateBucketName
} from '@weft/protocol'
import { DEFAULT_BUCKET_CACHE_TTL_MS, EMPTY_CHECK_PAGE_SIZE, MAX_CACHED_BUCKETS } from './constants.js'
import { BucketExistsError, BucketNotEmptyError, NoSuchBucketError } from './errors.js'
import type { RefClient } from '../refs/index.js'
import type { AbortOptions } from '@libp2p/interface'
import type { ClusterMap, Placement, PlacementPolicy } from '@weft/placement'
import type { BucketPolicy, BucketRecord } from '@weft/protocol'

export interface BucketsInit {
  /**
   * how long a policy is served from the cache (ms); 0 disables the cache
   *
   * @default DEFAULT_BUCKET_CACHE_TTL_MS
   */
  cacheTtlMs?: number
}

export interface BucketsComponents {
  refs: RefClient
  mesh: { getMap(): ClusterMap, placement(): Placement }
}

export interface GetBucketOptions extends AbortOptions {
  /** skip the cache: read the record from its replicas */
  fresh?: boolean
}

/**
 * The policy of the bucket namespace itself: the default policy, with
 * replicas lowered to the number of up nodes on a mesh smaller than that,
 * so a one- or two-node mesh (`weft up`, tests) can still hold buckets.
 * User buckets get no such lowering: their policy is honoured or refused.
 */
export function bucketsNamespacePolicy (map: ClusterMap): PlacementPolicy {
  return namespacePolicyFor(map.nodes.filter(n => n.state === 'up').length)
}

export class Buckets {
  private readonly refs: RefClient
  private readonly mesh: BucketsComponents['mesh']
  private readonly ttl: number
  private readonly cache = new Map<string, { record: BucketRecord, until: number }>()

  constructor (components: BucketsComponents, init: BucketsInit = {}) {
    this.refs = components.refs
    this.mesh = components.mesh
    this.ttl = init.cacheTtlMs ?? DEFAULT_BUCKET_CACHE_TTL_MS
  }

  /**
   * Creates a bucket. Throws InvalidBucketNameError, InvalidBucketPolicyError,
   * placement's PolicyUnsatisfiableError when the mesh cannot honour the
   * policy now (e.g. no up node in the allowed zones), BucketExistsError
   * when a live bucket of that name exists or another writer won a race.
   */
  async createBucket (name: string, policy: Partial<BucketPolicy> = {}, options: AbortOptions = {}): Promise<BucketRecord> {
    validateBucketName(name)
    const resolved = resolveBucketPolicy(policy)
    // any partition will do: eligibility (enough up nodes in the allowed zones) does not depend on it
    this.mesh.placement().replicaSet(0, resolved)
    const existing = await this.read(name, options)
    if (existing != null && !existing.deleted) throw new BucketExistsError(name, `bucket ${name} already exists`)
    const record: BucketRecord = { name, policy: resolved, version: this.refs.clock.now(), deleted: false }
    const result = await this.refs.putRecord(record, this.namespacePolicy(), options)
    if (result.newerVersion != null) {
      this.cache.delete(name)
      throw new BucketExistsError(name, `bucket ${name} was created or deleted concurrently by another writer`)
    }
    this.remember(record)
    return record
  }

  /**
   * Deletes an empty bucket (writes a tombstone record). Throws
   * NoSuchBucketError, or BucketNotEmptyError while it holds any object.
   */
  async deleteBucket (name: string, options: AbortOptions = {}): Promise<void> {
    const bucket = await this.getBucket(name, { ...options, fresh: true })
    for await (const ref of this.refs.listRefs(name, bucket.policy, { ...options, limit: 1, pageSize: EMPTY_CHECK_PAGE_SIZE })) {
      throw new BucketNotEmptyError(name, `bucket ${name} is not empty (it holds ${JSON.stringify(ref.key)} at least); delete its objects first`)
    }
    const record: BucketRecord = { name, policy: bucket.policy, version: this.refs.clock.now(), deleted: true }
    this.cache.delete(name)
    await this.refs.putRecord(record, this.namespacePolicy(), options)
  }

  /** A live bucket's record (policy included), from the cache within its TTL. Throws NoSuchBucketError. */
  async getBucket (name: string, options: GetBucketOptions = {}): Promise<BucketRecord> {
    validateBucketName(name)
    const cached = this.cache.get(name)
    if (options.fresh !== true && cached != null && cached.until > Date.now()) return cached.record
    const record = await this.read(name, options)
    if (record == null || record.deleted) {
      this.cache.delete(name)
      throw new NoSuchBucketError(name, `bucket ${name} does not exist`)
    }
    this.remember(record)
    return record
  }

  /** Every live bucket, by name (merged across nodes, like any listing). */
  async listBuckets (options: AbortOptions = {}): Promise<BucketRecord[]> {
    const out: BucketRecord[] = []
    for await (const record of this.refs.listRecords(BUCKETS_NAMESPACE, this.namespacePolicy(), options)) {
      if (!isBucketRecord(record)) continue
      out.push(record)
      this.remember(record)
    }
    return out
  }

  /** Forgets one cached policy, or all of them. */
  invalidate (name?: string): void {
    if (name === undefined) this.cache.clear()
    else this.cache.delete(name)
  }

  private namespacePolicy (): PlacementPolicy {
    return bucketsNamespacePolicy(this.mesh.getMap())
  }

  private async read (name: string, options: AbortOptions): Promise<BucketRecord | undefined> {
    const record = await this.refs.getRecord({ bucket: BUCKETS_NAMESPACE, key: name }, this.namespacePolicy(), options)
    if (record != null && !isBucketRecord(record)) throw new TypeError(`the bucket namespace holds an object ref at ${name}`)
    return record
  }

  private remember (record: BucketRecord): void {
    if (this.ttl <= 0) return
    this.cache.delete(record.name)
    this.cache.set(record.name, { record, until: Date.now() + this.ttl })
    // insertion order is age order: drop the oldest beyond the bound
    while (this.cache.size > MAX_CACHED_BUCKETS) {
      const oldest = this.cache.keys().next().value
      if (oldest === undefined) break
      this.cache.delete(oldest)
    }
  }
}

export function createBuckets (components: BucketsComponents, init: BucketsInit = {}): Buckets {
  return new Buckets(components, init)
}
