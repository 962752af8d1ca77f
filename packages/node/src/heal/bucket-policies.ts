/**
 * Bucket name -> placement policy, for placing refs. Bucket records live on
 * the namespace's replica set (not necessarily here), so a policy is read
 * from this node's ref store when it holds the record, else from the
 * namespace owners (newest version wins), and cached for a while.
 */
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { partitionOfRef } from '@weft/placement'
import { BUCKETS_NAMESPACE, bucketsNamespacePolicy, compareVersions, isBucketRecord } from '@weft/protocol'
import { ownersOf } from './owners.js'
import type { RefStore } from '../refs/store.js'
import type { Placement, PlacementPolicy } from '@weft/placement'
import type { BucketRecord, RefPeerClient, StoredRecord } from '@weft/protocol'

const log = logger('weft:node:heal:buckets')

/** a policy read is trusted this long (ms): a bucket's policy does not change after creation */
const POLICY_TTL_MS = 60_000

export interface BucketPoliciesComponents {
  self: string
  store: Pick<RefStore, 'get'>
  client: Pick<RefPeerClient, 'get'>
  requestTimeoutMs: number
}

export function namespacePolicy (placement: Placement): PlacementPolicy {
  return bucketsNamespacePolicy(placement.map.nodes.filter(n => n.state === 'up').length)
}

export class BucketPolicies {
  private readonly c: BucketPoliciesComponents
  private readonly cache = new Map<string, { policy: PlacementPolicy, until: number }>()

  constructor (components: BucketPoliciesComponents) {
    this.c = components
  }

  /** The policy refs of `bucket` are placed by; undefined when no record of the bucket could be read. */
  async policyOf (bucket: string, placement: Placement, signal: AbortSignal): Promise<PlacementPolicy | undefined> {
    if (bucket === BUCKETS_NAMESPACE) return namespacePolicy(placement)
    const cached = this.cache.get(bucket)
    if (cached != null && cached.until > Date.now()) return cached.policy
    const loc = { bucket: BUCKETS_NAMESPACE, key: bucket }
    let newest = asBucket(await this.c.store.get(loc))
    const owners = ownersOf(placement, partitionOfRef(loc.bucket, loc.key), namespacePolicy(placement)).filter(p => p !== this.c.self)
    await Promise.all(owners.map(async peer => {
      try {
        const record = asBucket(await this.c.client.get(peerIdFromString(peer), loc, { signal: AbortSignal.any([signal, AbortSignal.timeout(this.c.requestTimeoutMs)]) }))
        if (record != null && (newest == null || compareVersions(record.version, newest.version) > 0)) newest = record
      } catch (err) {
        signal.throwIfAborted()
        log('reading bucket %s from %s failed - %e', bucket, peer, err)
      }
    }))
    if (newest == null) return undefined
    const { replicas, spread, allowedZones } = newest.policy
    const policy: PlacementPolicy = { replicas, spread, allowedZones }
    this.cache.set(bucket, { policy, until: Date.now() + POLICY_TTL_MS })
    return policy
  }
}

function asBucket (record: StoredRecord | undefined): BucketRecord | undefined {
  return record != null && isBucketRecord(record) ? record : undefined
}
