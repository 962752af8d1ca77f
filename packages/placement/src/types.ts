/**
 * The shapes placement computes over. A node's membership layer builds exactly
 * these (it keeps no second shape of the map), so every peer feeding the same
 * map into the same functions gets the same answer.
 */

/** Liveness and intent of a member, as far as placement cares. */
export type NodeState = 'up' | 'draining' | 'down' | 'out'

/** One storage member of the mesh. */
export interface ClusterNode {
  /** libp2p peer id as its canonical base58btc string */
  readonly peerId: string
  /** relative capacity; > 0 (by default the node's capacity in bytes) */
  readonly weight: number
  /**
   * failure-domain path, `region/dc/rack/host` (fewer segments allowed; missing
   * ones count as empty). Spread levels use prefixes of it: `zone` = the first
   * two segments, `rack` = the first three, `host` = all four.
   */
  readonly zone: string
  readonly state: NodeState
}

/** An immutable view of the members. Placement never mutates it. */
export interface ClusterMap {
  /** informational; grows whenever the holder's view changes */
  readonly version: number
  readonly nodes: readonly ClusterNode[]
}

/** The failure-domain level replicas are spread over. */
export type SpreadLevel = 'zone' | 'rack' | 'host'

/** Where a bucket's data may live and how many copies it needs. */
export interface PlacementPolicy {
  /** copies of every chunk and ref (r) */
  readonly replicas: number
  /** no two replicas share a domain at this level when enough domains exist */
  readonly spread: SpreadLevel
  /**
   * zone path prefixes (matched on whole segments: `eu` and `eu/` both match
   * `eu/dc1/...` but not `europe/...`); empty or absent means anywhere
   */
  readonly allowedZones?: readonly string[]
}
