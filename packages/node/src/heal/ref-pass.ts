/**
 * One reconciliation pass over the refs (object refs, tombstones, bucket
 * records) this node holds: every owner under the target map gets at least
 * this node's version (last writer wins, so pushing is always safe), and a
 * copy held by a non-owner is removed once every owner confirmed it holds
 * this version or a newer one.
 */
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { partitionOfRef } from '@weft/placement'
import { compareVersions, recordLocation } from '@weft/protocol'
import { ownersOf } from './owners.js'
import { forEachLimited } from '../for-each-limited.js'
import type { BucketPolicies } from './bucket-policies.js'
import type { PassReport } from './progress.js'
import type { RefStore } from '../refs/store.js'
import type { Placement } from '@weft/placement'
import type { RefPeerClient, StoredRecord } from '@weft/protocol'

const log = logger('weft:node:heal:refs')

/** refs checked together (each needs one GET per owner) */
const REF_BATCH = 64

export interface RefPassComponents {
  self: string
  store: Pick<RefStore, 'records' | 'deleteIfVersion'>
  client: Pick<RefPeerClient, 'get' | 'put'>
  placement: Placement
  buckets: BucketPolicies
  concurrency: number
  requestTimeoutMs: number
  report: PassReport
  signal: AbortSignal
}

export async function refPass (c: RefPassComponents): Promise<void> {
  let batch: StoredRecord[] = []
  for await (const record of c.store.records({ signal: c.signal })) {
    batch.push(record)
    if (batch.length < REF_BATCH) continue
    await forEachLimited(batch, c.concurrency, async r => reconcileRef(c, r))
    batch = []
  }
  await forEachLimited(batch, c.concurrency, async r => reconcileRef(c, r))
}

async function reconcileRef (c: RefPassComponents, record: StoredRecord): Promise<void> {
  c.report.refsChecked++
  const loc = recordLocation(record)
  const policy = await c.buckets.policyOf(loc.bucket, c.placement, c.signal)
  if (policy == null) {
    c.report.unresolved++
    return
  }
  const owners = ownersOf(c.placement, partitionOfRef(loc.bucket, loc.key), policy)
  if (owners.length === 0) {
    c.report.waiting++
    return
  }
  let confirmed = 0
  for (const peer of owners) {
    if (peer === c.self) {
      confirmed++
      continue
    }
    const signal = AbortSignal.any([c.signal, AbortSignal.timeout(c.requestTimeoutMs)])
    try {
      const id = peerIdFromString(peer)
      const held = await c.client.get(id, loc, { signal })
      if (held != null && compareVersions(held.version, record.version) >= 0) {
        confirmed++
        continue
      }
      const answer = await c.client.put(id, record, { signal })
      if (answer.status === 'stored') c.report.refCopies++
      confirmed++
    } catch (err) {
      c.signal.throwIfAborted()
      log('reconciling %s/%s with %s failed - %e', loc.bucket, loc.key, peer, err)
    }
  }
  if (owners.includes(c.self)) return
  if (confirmed < owners.length || owners.length < policy.replicas) {
    c.report.waiting++
    return
  }
  if (await c.store.deleteIfVersion(loc, record.version)) c.report.refsDeleted++
}
