/**
 * createPlacement: rankings, replica sets and fallbacks for one cluster map,
 * with replica sets memoised per (map, policy) in lazily filled typed arrays.
 */
import { DEFAULT_MAX_CACHED_POLICIES, PARTITION_COUNT } from './constants.js'
import { ReplicaCache } from './cache.js'
import { clusterOf } from './cluster.js'
import { InvalidArgumentError } from './errors.js'
import { lnUnit, unitHash } from './hash.js'
import { normalisePolicy } from './policy.js'
import { PolicyView, byKey } from './view.js'
import type { Cluster } from './cluster.js'
import type { ClusterMap, ClusterNode, PlacementPolicy } from './types.js'

/** A chosen set of replicas for one partition under one policy. */
export interface ReplicaSet {
  /** distinct nodes, best first: the head of the write chain is nodes[0] */
  readonly nodes: readonly ClusterNode[]
  /**
   * true when the eligible nodes span fewer failure domains than the policy's
   * replicas, so some domain holds two replicas
   */
  readonly degraded: boolean
}

export interface Placement {
  readonly map: ClusterMap
  /** every node of the map (any state), best first by rendezvous score */
  ranking (partition: number): readonly ClusterNode[]
  /** @throws PolicyUnsatisfiableError when the allowed zones hold fewer than r up nodes */
  replicaSet (partition: number, policy: PlacementPolicy): ReplicaSet
  /** eligible, allowed nodes after the replica set, in ranking order (hand-off targets) */
  fallbacks (partition: number, policy: PlacementPolicy): readonly ClusterNode[]
}

export interface PlacementInit {
  /**
   * Policies to keep a replica-set cache for (each up to 2 bytes x r x
   * PARTITION_COUNT as partitions get used); the least recently used is
   * dropped beyond this.
   * @default DEFAULT_MAX_CACHED_POLICIES (8)
   */
  maxCachedPolicies?: number
}

/** A policy view with its replica-set cache. */
export interface CachedView {
  readonly view: PolicyView
  readonly cache: ReplicaCache
}

export class MemoPlacement implements Placement {
  readonly map: ClusterMap
  readonly cluster: Cluster
  private readonly maxPolicies: number
  private readonly byKey = new Map<string, CachedView>()
  private byObject = new WeakMap<PlacementPolicy, CachedView>()
  private readonly scratch: number[] = []

  constructor (map: ClusterMap, init: PlacementInit = {}) {
    this.cluster = clusterOf(map)
    this.map = map
    this.maxPolicies = Math.max(1, init.maxCachedPolicies ?? DEFAULT_MAX_CACHED_POLICIES)
  }

  ranking (partition: number): readonly ClusterNode[] {
    checkPartition(partition)
    const c = this.cluster
    const keys = new Float64Array(c.size)
    const order = new Int32Array(c.size)
    for (let i = 0; i < c.size; i++) {
      keys[i] = lnUnit(unitHash(c.seed0[i] as number, c.seed1[i] as number, partition)) / (c.weight[i] as number)
      order[i] = i
    }
    order.sort((a, b) => byKey(keys, a, b))
    return Array.from(order, i => c.node(i))
  }

  replicaSet (partition: number, policy: PlacementPolicy): ReplicaSet {
    checkPartition(partition)
    const cached = this.viewFor(policy)
    const view = cached.view
    const out = this.scratch
    if (!cached.cache.get(partition, out)) {
      view.select(partition, out)
      cached.cache.set(partition, out)
    }
    const r = view.replicas
    const nodes = new Array<ClusterNode>(r)
    for (let j = 0; j < r; j++) nodes[j] = this.cluster.node(out[j] as number)
    return { nodes, degraded: view.degraded }
  }

  fallbacks (partition: number, policy: PlacementPolicy): readonly ClusterNode[] {
    const chosen = new Set(this.replicaSet(partition, policy).nodes)
    const view = this.viewFor(policy).view
    const out: ClusterNode[] = []
    for (const i of view.rankEligible(partition)) {
      const node = this.cluster.node(i)
      if (!chosen.has(node)) out.push(node)
    }
    return out
  }

  /** The replica set's node indices into `out`, from the cache when there. */
  select (cached: CachedView, partition: number, out: Int32Array | number[]): void {
    if (cached.cache.get(partition, out)) return
    cached.view.select(partition, out)
    cached.cache.set(partition, out)
  }

  /** The view of a policy: by object identity first (the hot path), then by normalised key. */
  viewFor (policy: PlacementPolicy): CachedView {
    let cached = this.byObject.get(policy)
    if (cached != null) return cached
    const norm = normalisePolicy(policy)
    cached = this.byKey.get(norm.key)
    if (cached != null) {
      // refresh its place in the least-recently-used order
      this.byKey.delete(norm.key)
      this.byKey.set(norm.key, cached)
    } else {
      const view = new PolicyView(this.cluster, norm)
      cached = { view, cache: new ReplicaCache(view.replicas, this.cluster.size) }
      if (this.byKey.size >= this.maxPolicies) {
        // drop the least recently used; the object map may still point at it, so reset that too
        const oldest = this.byKey.keys().next().value
        if (oldest != null) this.byKey.delete(oldest)
        this.byObject = new WeakMap()
      }
      this.byKey.set(norm.key, cached)
    }
    this.byObject.set(policy, cached)
    return cached
  }
}

function checkPartition (partition: number): void {
  if (!(Number.isInteger(partition) && partition >= 0 && partition < PARTITION_COUNT)) {
    throw new InvalidArgumentError(`partition must be an integer in [0, ${PARTITION_COUNT}), got ${String(partition)}`)
  }
}

const placements = new WeakMap<ClusterMap, MemoPlacement>()

/** The shared placement of a map object (internal: diffMaps reuses its caches). */
export function sharedPlacement (map: ClusterMap): MemoPlacement {
  let placement = placements.get(map)
  if (placement == null) {
    placement = new MemoPlacement(map)
    placements.set(map, placement)
  }
  return placement
}

/**
 * The placement of a map. Without `init` the same Placement (and its caches)
 * is returned for the same map object, so callers may call this per request.
 * @throws InvalidMapError
 */
export function createPlacement (map: ClusterMap, init?: PlacementInit): Placement {
  return init != null ? new MemoPlacement(map, init) : sharedPlacement(map)
}
