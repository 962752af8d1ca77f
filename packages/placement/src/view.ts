/**
 * One policy applied to one cluster: which nodes are eligible, how many
 * failure domains they span, and the per-partition selection itself.
 *
 * Selection (normative; README "Algorithm"): rank the eligible nodes (state
 * `up`, zone allowed) by key = ln(u)/weight, highest first, ties to the lower
 * peer id. When the eligible nodes span at least r domains, the replica set is
 * the first r nodes of that ranking that each open a new domain (the greedy
 * walk); in ranking order. Otherwise the set is degraded: eligible nodes sorted
 * by (their rank within their own domain, then ranking), first r; so every
 * domain gets a replica before any gets a second.
 */
import { PolicyUnsatisfiableError } from './errors.js'
import type { PolicyUnsatisfiableDetails } from './errors.js'
import { LN_BUCKET_UPPER, hashBucket, lnUnit, unitHash } from './hash.js'
import { zoneAllowed } from './zones.js'
import type { Cluster } from './cluster.js'
import type { NormalisedPolicy } from './policy.js'

export class PolicyView {
  readonly cluster: Cluster
  readonly policy: NormalisedPolicy
  readonly replicas: number
  /** eligible node indices, ascending */
  readonly eligible: Int32Array
  /** domain id per node index at the policy's level */
  readonly domain: Int32Array
  /** distinct domains among eligible nodes */
  readonly domainCount: number
  readonly degraded: boolean
  /** set when no replica set exists under this policy (fewer eligible nodes than r) */
  readonly unsatisfiable?: PolicyUnsatisfiableDetails
  // scratch for the top-r walk: key, node index and domain of the current leaders
  private readonly topKey: Float64Array
  private readonly topIdx: Int32Array
  private readonly topDom: Int32Array

  constructor (cluster: Cluster, policy: NormalisedPolicy) {
    this.cluster = cluster
    this.policy = policy
    this.replicas = policy.replicas
    this.domain = cluster.domains(policy.spread)
    const eligible: number[] = []
    const domains = new Set<number>()
    let inZones = 0
    for (let i = 0; i < cluster.size; i++) {
      const node = cluster.node(i)
      if (!zoneAllowed(node.zone, policy.allowedZones)) continue
      inZones++
      if (node.state !== 'up') continue
      eligible.push(i)
      domains.add(this.domain[i] ?? -1)
    }
    this.eligible = Int32Array.from(eligible)
    this.domainCount = domains.size
    this.degraded = domains.size < policy.replicas
    if (eligible.length < policy.replicas) {
      this.unsatisfiable = {
        replicas: policy.replicas,
        allowedZones: policy.allowedZones,
        eligibleNodes: eligible.length,
        nodesInZones: inZones,
        domains: domains.size
      }
    }
    this.topKey = new Float64Array(policy.replicas)
    this.topIdx = new Int32Array(policy.replicas)
    this.topDom = new Int32Array(policy.replicas)
  }

  /** @throws PolicyUnsatisfiableError when the policy cannot be met */
  check (): void {
    if (this.unsatisfiable != null) throw new PolicyUnsatisfiableError(this.unsatisfiable)
  }

  /**
   * Writes the replica set of `partition` (node indices, in order) into `out`.
   * Non-degraded sets keep, in one pass, the best node of each domain among
   * the r best domains so far: exactly the nodes the greedy walk would pick.
   * A node whose cheap upper bound already loses to the r-th leader skips
   * its log.
   */
  select (partition: number, out: Int32Array | number[]): void {
    this.check()
    if (this.degraded) {
      this.selectDegraded(partition, out)
      return
    }
    const r = this.replicas
    const { seed0, seed1, weight, invWeight } = this.cluster
    const domain = this.domain
    const eligible = this.eligible
    const topKey = this.topKey
    const topIdx = this.topIdx
    const topDom = this.topDom
    let filled = 0
    let floor = -Infinity
    for (let e = 0; e < eligible.length; e++) {
      const i = eligible[e] as number
      const x = unitHash(seed0[i] as number, seed1[i] as number, partition)
      // cheap bound first: most nodes lose without computing their log
      if (filled === r && (LN_BUCKET_UPPER[hashBucket(x)] as number) * (invWeight[i] as number) < floor) continue
      const key = lnUnit(x) / (weight[i] as number)
      if (filled === r && !(key > floor)) continue
      const d = domain[i] as number
      // only the best node of each domain can be chosen: the greedy walk skips the rest
      let at = -1
      for (let j = 0; j < filled; j++) {
        if (topDom[j] === d) { at = j; break }
      }
      let end: number
      if (at >= 0) {
        if (!(key > (topKey[at] as number))) continue
        end = at
      } else if (filled < r) {
        end = filled++
      } else {
        end = r - 1
      }
      // insertion sort: shift worse entries down over the freed slot `end`
      let j = end
      while (j > 0 && (topKey[j - 1] as number) < key) {
        topKey[j] = topKey[j - 1] as number
        topIdx[j] = topIdx[j - 1] as number
        topDom[j] = topDom[j - 1] as number
        j--
      }
      topKey[j] = key
      topIdx[j] = i
      topDom[j] = d
      if (filled === r) floor = topKey[r - 1] as number
    }
    for (let j = 0; j < r; j++) out[j] = topIdx[j] as number
  }

  /**
   * True when at least r distinct domains have an eligible node whose key is
   * above `bound`: then the replica set is made of such nodes and nothing
   * scoring at or below `bound` (in this map or another) can change it. Stops
   * as soon as it has seen r, which for a typical bound is after a few nodes.
   * Only meaningful for non-degraded views.
   */
  leadersAbove (partition: number, bound: number): boolean {
    const r = this.replicas
    const { seed0, seed1, weight, invWeight } = this.cluster
    const domain = this.domain
    const eligible = this.eligible
    const seen = this.topDom
    let found = 0
    for (let e = 0; e < eligible.length; e++) {
      const i = eligible[e] as number
      const x = unitHash(seed0[i] as number, seed1[i] as number, partition)
      if ((LN_BUCKET_UPPER[hashBucket(x)] as number) * (invWeight[i] as number) <= bound) continue
      if (!(lnUnit(x) / (weight[i] as number) > bound)) continue
      const d = domain[i] as number
      let known = false
      for (let j = 0; j < found; j++) {
        if (seen[j] === d) { known = true; break }
      }
      if (known) continue
      seen[found++] = d
      if (found === r) return true
    }
    return false
  }

  /** Eligible node indices in ranking order (all keys computed, full sort). */
  rankEligible (partition: number): Int32Array {
    const { seed0, seed1, weight } = this.cluster
    const n = this.eligible.length
    const keys = new Float64Array(this.cluster.size)
    for (let e = 0; e < n; e++) {
      const i = this.eligible[e] as number
      keys[i] = lnUnit(unitHash(seed0[i] as number, seed1[i] as number, partition)) / (weight[i] as number)
    }
    return this.eligible.slice().sort((a, b) => byKey(keys, a, b))
  }

  private selectDegraded (partition: number, out: Int32Array | number[]): void {
    const ranked = this.rankEligible(partition)
    const rankInDomain = new Map<number, number>()
    const depth = new Int32Array(this.cluster.size)
    for (const i of ranked) {
      const d = this.domain[i] as number
      const k = rankInDomain.get(d) ?? 0
      depth[i] = k
      rankInDomain.set(d, k + 1)
    }
    const position = new Int32Array(this.cluster.size)
    ranked.forEach((i, pos) => { position[i] = pos })
    const chosen = Array.from(ranked)
      .sort((a, b) => ((depth[a] as number) - (depth[b] as number)) || ((position[a] as number) - (position[b] as number)))
    for (let j = 0; j < this.replicas; j++) out[j] = chosen[j] as number
  }
}

/** Ranking order: higher key first, ties to the lower index (= lower peer id). */
export function byKey (keys: Float64Array, a: number, b: number): number {
  const ka = keys[a] as number
  const kb = keys[b] as number
  return ka > kb ? -1 : ka < kb ? 1 : a - b
}
