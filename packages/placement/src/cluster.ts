/**
 * A validated, order-normalised view of a ClusterMap: nodes sorted by peer id
 * with their seeds and weights in typed arrays, so scoring a partition is a
 * tight loop and no answer depends on the order of `map.nodes`.
 */
import { InvalidMapError } from './errors.js'
import { nodeSeed } from './hash.js'
import { domainKey } from './zones.js'
import type { ClusterMap, ClusterNode, NodeState, SpreadLevel } from './types.js'

const STATES: ReadonlySet<NodeState> = new Set(['up', 'draining', 'down', 'out'])

export class Cluster {
  readonly map: ClusterMap
  /** the map's nodes sorted by peer id (UTF-16 code unit order) */
  readonly nodes: readonly ClusterNode[]
  readonly index: ReadonlyMap<string, number>
  readonly seed0: Int32Array
  readonly seed1: Int32Array
  readonly weight: Float64Array
  readonly invWeight: Float64Array
  private readonly domainIds = new Map<SpreadLevel, Int32Array>()

  constructor (map: ClusterMap) {
    validateMap(map)
    this.map = map
    this.nodes = [...map.nodes].sort((a, b) => a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0)
    const n = this.nodes.length
    this.seed0 = new Int32Array(n)
    this.seed1 = new Int32Array(n)
    this.weight = new Float64Array(n)
    this.invWeight = new Float64Array(n)
    const index = new Map<string, number>()
    this.nodes.forEach((node, i) => {
      const [s0, s1] = nodeSeed(node.peerId)
      this.seed0[i] = s0
      this.seed1[i] = s1
      this.weight[i] = node.weight
      this.invWeight[i] = 1 / node.weight
      index.set(node.peerId, i)
    })
    this.index = index
  }

  get size (): number {
    return this.nodes.length
  }

  node (i: number): ClusterNode {
    const node = this.nodes[i]
    if (node == null) throw new RangeError(`no node at index ${i}`)
    return node
  }

  /** Dense failure-domain ids per node at a spread level (equal id = same domain). */
  domains (level: SpreadLevel): Int32Array {
    let ids = this.domainIds.get(level)
    if (ids == null) {
      const seen = new Map<string, number>()
      ids = new Int32Array(this.nodes.length)
      for (let i = 0; i < this.nodes.length; i++) {
        const key = domainKey(this.node(i).zone, level)
        let id = seen.get(key)
        if (id == null) {
          id = seen.size
          seen.set(key, id)
        }
        ids[i] = id
      }
      this.domainIds.set(level, ids)
    }
    return ids
  }
}

const clusters = new WeakMap<ClusterMap, Cluster>()

/** The normalised view of a map, built once per map object (maps are immutable). */
export function clusterOf (map: ClusterMap): Cluster {
  let cluster = clusters.get(map)
  if (cluster == null) {
    cluster = new Cluster(map)
    clusters.set(map, cluster)
  }
  return cluster
}

function validateMap (map: ClusterMap): void {
  if (map == null || typeof map !== 'object' || !Array.isArray(map.nodes)) {
    throw new InvalidMapError('cluster map must be an object with a nodes array')
  }
  const seen = new Set<string>()
  for (const node of map.nodes as unknown[]) {
    if (node == null || typeof node !== 'object') throw new InvalidMapError('cluster map has a node that is not an object')
    const { peerId, weight, zone, state } = node as Record<keyof ClusterNode, unknown>
    if (typeof peerId !== 'string' || peerId === '') throw new InvalidMapError('every node needs a non-empty string peerId')
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      throw new InvalidMapError(`node ${peerId} has weight ${String(weight)}; weights must be finite and > 0`)
    }
    if (typeof zone !== 'string') throw new InvalidMapError(`node ${peerId} has no string zone`)
    if (zone.includes('\0')) throw new InvalidMapError(`node ${peerId} has a NUL character in its zone`)
    if (!STATES.has(state as NodeState)) throw new InvalidMapError(`node ${peerId} has unknown state ${String(state)}`)
    if (seen.has(peerId)) throw new InvalidMapError(`peer id ${peerId} appears twice in the cluster map`)
    seen.add(peerId)
  }
}
