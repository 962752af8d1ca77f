/**
 * A node's own write plan for a chunk: placement over its cluster map, then
 * the writer's rules (skip members whose record says full) from
 * @weft/protocol's planChunkWrite.
 *
 * Suspect members are not passed over: placement still counts them up, a
 * short blip must cost no copying (a write around a live node leaves a copy
 * that repair has to move home), and a member that really died fails its
 * put and is handed off around anyway.
 *
 * Full nodes stay `up` in the map on purpose: they keep the partitions they
 * own and serve reads, and the reconciler must not move their data away just
 * because they are full. They are only passed over for new copies, here up
 * front and, when the record is not yet out, by the writer treating their
 * ERR_STORE_FULL as a failed target and handing off.
 */
import { createPlacement, partitionOfDigest } from '@weft/placement'
import { planChunkWrite } from '@weft/protocol'
import type { Member } from './membership/types.js'
import type { ClusterMap, PlacementPolicy } from '@weft/placement'
import type { WritePlan } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

export function planWrite (map: ClusterMap, member: (peerId: string) => Member | undefined, cid: CID, policy: PlacementPolicy): WritePlan {
  const placement = createPlacement(map)
  const partition = partitionOfDigest(cid.multihash.digest)
  return planChunkWrite({
    replicaSet: placement.replicaSet(partition, policy).nodes.map(n => n.peerId),
    fallbacks: placement.fallbacks(partition, policy).map(n => n.peerId),
    replicas: policy.replicas,
    exclude: peer => member(peer)?.record.full === true
  })
}
