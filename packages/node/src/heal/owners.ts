/**
 * Where a chunk or ref belongs under the target map: the union of its
 * replica sets under every policy it was written with, in one order every
 * peer computes the same way (the first holder in this order copies).
 */
import { PolicyUnsatisfiableError, createPlacement, partitionOfDigest } from '@weft/placement'
import type { ClusterMap, Placement, PlacementPolicy } from '@weft/placement'
import type { ChunkPolicy } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

/** replicas wanted: the most any of the policies asks for */
export function replicasWanted (policies: readonly ChunkPolicy[]): number {
  return Math.max(0, ...policies.map(p => p.replicas))
}

/**
 * Replica set under one policy. When fewer eligible nodes exist than the
 * policy asks for, every eligible node (so data is not lost to a strict
 * rule while the mesh is small); none when no node is eligible.
 */
function replicaSet (placement: Placement, partition: number, policy: PlacementPolicy): string[] {
  try {
    return placement.replicaSet(partition, policy).nodes.map(n => n.peerId)
  } catch (err) {
    if (!(err instanceof PolicyUnsatisfiableError) || err.details.eligibleNodes === 0) return []
    return placement.replicaSet(partition, { ...policy, replicas: err.details.eligibleNodes }).nodes.map(n => n.peerId)
  }
}

/** Owners under `policies` (chunks), or under one placement policy (refs). */
export function ownersOf (placement: Placement, partition: number, policies: readonly ChunkPolicy[] | PlacementPolicy): string[] {
  if (!isPolicyList(policies)) return replicaSet(placement, partition, policies)
  if (policies.length === 0) return []
  if (policies.length === 1) return replicaSet(placement, partition, asPlacementPolicy(policies[0]!))
  const all = new Set<string>()
  for (const p of policies) for (const id of replicaSet(placement, partition, asPlacementPolicy(p))) all.add(id)
  const rank = new Map(placement.ranking(partition).map((n, i) => [n.peerId, i]))
  return [...all].sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0))
}

function isPolicyList (p: readonly ChunkPolicy[] | PlacementPolicy): p is readonly ChunkPolicy[] {
  return Array.isArray(p)
}

export function asPlacementPolicy (p: ChunkPolicy): PlacementPolicy {
  return { replicas: p.replicas, spread: p.spread, allowedZones: p.allowedZones ?? [] }
}

/** Peers to fetch a chunk from: its owners under `map`, then every other live member; never `self`. */
export function scrubSources (self: string, map: ClusterMap, cid: CID, policies: readonly ChunkPolicy[]): string[] {
  const owners = policies.length === 0 ? [] : ownersOf(createPlacement(map), partitionOfDigest(cid.multihash.digest), policies)
  const rest = map.nodes.filter(n => n.state === 'up' || n.state === 'draining').map(n => n.peerId)
  return [...new Set([...owners, ...rest])].filter(p => p !== self)
}
