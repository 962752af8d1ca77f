/**
 * diffMaps: which partitions change hands between two cluster maps under one
 * policy (the rebalance plan), who gains and loses, and the bytes to copy.
 *
 * A map change typically touches a few % of 4M partitions, but a big one can
 * touch most of them, so changes are kept in typed arrays (diff-result.ts).
 */
import { PARTITION_COUNT } from './constants.js'
import { InvalidArgumentError } from './errors.js'
import { lnUnit, unitHash } from './hash.js'
import { sharedPlacement } from './placement.js'
import { ChangeStore, Diff } from './diff-result.js'
import type { Cluster } from './cluster.js'
import type { ClusterMap, PlacementPolicy } from './types.js'

/** One partition whose replica set differs between the two maps (as a set of peers). */
export interface PartitionChange {
  readonly partition: number
  /** peer ids of the replica set before, in replica order; empty when the policy was unsatisfiable before */
  readonly before: readonly string[]
  readonly after: readonly string[]
  /** peers in `after` but not `before`: each copies the partition */
  readonly gained: readonly string[]
  /** peers in `before` but not `after`: each may drop it once the copies are done */
  readonly lost: readonly string[]
  /** bytes to copy for this partition: partitionBytes x gained.length (0 without sizes) */
  readonly bytes: number
}

/** What one peer gains and loses across the diff. */
export interface PeerMovement {
  /** partitions it newly holds */
  readonly gained: number
  /** partitions it no longer holds */
  readonly lost: number
  /** bytes it receives */
  readonly bytesIn: number
  /** bytes of partitions it no longer holds */
  readonly bytesOut: number
}

export interface MapDiff {
  /** partitions looked at (all of them unless `options.partitions` narrowed it) */
  readonly partitionsCompared: number
  /** how many partitions changed (cheap; `changed.length` builds the list) */
  readonly changedCount: number
  /** the changed partitions, ascending (built on first read) */
  readonly changed: readonly PartitionChange[]
  /** per peer that gains or loses anything */
  readonly peers: ReadonlyMap<string, PeerMovement>
  /** sum of `bytes` over `changed` */
  readonly bytesToCopy: number
}

export interface DiffOptions {
  /** bytes stored in a partition (per replica); without it all byte figures are 0 */
  partitionBytes?: (partition: number) => number
  /** only these partitions (e.g. the ones holding data); each counted once */
  partitions?: Iterable<number>
}

/**
 * Compares the replica sets of every partition (or of `options.partitions`)
 * under `policy` in `before` and `after`. A before map that cannot satisfy the
 * policy counts as holding nothing; an after map that cannot throws.
 * Uses (and fills) the replica-set caches of both maps' shared placements.
 * @throws PolicyUnsatisfiableError when `after` cannot hold the policy
 */
export function diffMaps (before: ClusterMap, after: ClusterMap, policy: PlacementPolicy, options: DiffOptions = {}): MapDiff {
  const pb = sharedPlacement(before)
  const pa = sharedPlacement(after)
  const cvb = pb.viewFor(policy)
  const cva = pa.viewFor(policy)
  const vb = cvb.view
  const va = cva.view
  va.check()
  const cb = pb.cluster
  const ca = pa.cluster
  const r = va.replicas
  const beforeEmpty = vb.unsatisfiable != null
  const changedNodes = changedBetween(cb, ca)
  // below the selection threshold nothing changes an answer, unless the sets are
  // degraded (every node matters) or so much changed that checking costs more
  const pruned = !beforeEmpty && !vb.degraded && !va.degraded && changedNodes.length * 2 <= ca.size
  // an after-map node's index in the before map, or -1: set comparison without strings
  const toBefore = Int32Array.from({ length: ca.size }, (_, a) => cb.index.get(ca.node(a).peerId) ?? -1)
  const sizeOf = options.partitionBytes
  const outB = new Int32Array(r)
  const outA = new Int32Array(r)
  const store = new ChangeStore(r)
  const gainedBy = new Float64Array(ca.size)
  const bytesInBy = new Float64Array(ca.size)
  const lostBy = new Float64Array(cb.size)
  const bytesOutBy = new Float64Array(cb.size)
  let bytesToCopy = 0
  let compared = 0

  const visit = (p: number): void => {
    compared++
    if (pruned && vb.leadersAbove(p, highestChangedKey(cb, ca, changedNodes, p))) return
    if (!beforeEmpty) pb.select(cvb, p, outB)
    pa.select(cva, p, outA)
    let gains = 0
    let losses = 0
    for (let j = 0; j < r; j++) {
      const b = toBefore[outA[j] as number] as number
      if (beforeEmpty || b < 0 || !outB.includes(b)) gains++
    }
    if (!beforeEmpty) {
      for (let j = 0; j < r; j++) {
        if (!outA.some(a => toBefore[a] === outB[j])) losses++
      }
    }
    if (gains === 0 && losses === 0) return
    const size = sizeOf?.(p) ?? 0
    bytesToCopy += size * gains
    store.push(p, beforeEmpty ? undefined : outB, outA, size * gains)
    for (let j = 0; j < r; j++) {
      const a = outA[j] as number
      const b = toBefore[a] as number
      if (beforeEmpty || b < 0 || !outB.includes(b)) {
        gainedBy[a] = (gainedBy[a] as number) + 1
        bytesInBy[a] = (bytesInBy[a] as number) + size
      }
    }
    if (!beforeEmpty) {
      for (let j = 0; j < r; j++) {
        const b = outB[j] as number
        if (!outA.some(a => toBefore[a] === b)) {
          lostBy[b] = (lostBy[b] as number) + 1
          bytesOutBy[b] = (bytesOutBy[b] as number) + size
        }
      }
    }
  }

  if (options.partitions == null) {
    for (let p = 0; p < PARTITION_COUNT; p++) visit(p)
  } else {
    const seen = new Uint8Array(PARTITION_COUNT)
    const list: number[] = []
    for (const p of options.partitions) {
      if (!(Number.isInteger(p) && p >= 0 && p < PARTITION_COUNT)) throw new InvalidArgumentError(`partition out of range: ${String(p)}`)
      if (seen[p] === 0) {
        seen[p] = 1
        list.push(p)
      }
    }
    list.sort((a, b) => a - b)
    for (const p of list) visit(p)
  }

  const peers = new Map<string, { gained: number, lost: number, bytesIn: number, bytesOut: number }>()
  const entry = (id: string): { gained: number, lost: number, bytesIn: number, bytesOut: number } => {
    let m = peers.get(id)
    if (m == null) {
      m = { gained: 0, lost: 0, bytesIn: 0, bytesOut: 0 }
      peers.set(id, m)
    }
    return m
  }
  for (let a = 0; a < ca.size; a++) {
    if (gainedBy[a] === 0) continue
    const m = entry(ca.node(a).peerId)
    m.gained = gainedBy[a] as number
    m.bytesIn = bytesInBy[a] as number
  }
  for (let b = 0; b < cb.size; b++) {
    if (lostBy[b] === 0) continue
    const m = entry(cb.node(b).peerId)
    m.lost = lostBy[b] as number
    m.bytesOut = bytesOutBy[b] as number
  }
  return new Diff(compared, store, cb, ca, peers, bytesToCopy)
}

/** A node that differs between the maps: index in each (-1 when absent there). */
interface ChangedNode { readonly b: number, readonly a: number }

function changedBetween (cb: Cluster, ca: Cluster): ChangedNode[] {
  const out: ChangedNode[] = []
  for (let b = 0; b < cb.size; b++) {
    const nb = cb.node(b)
    const a = ca.index.get(nb.peerId)
    if (a == null) {
      out.push({ b, a: -1 })
      continue
    }
    const na = ca.node(a)
    if (na.weight !== nb.weight || na.zone !== nb.zone || na.state !== nb.state) out.push({ b, a })
  }
  for (let a = 0; a < ca.size; a++) {
    if (!cb.index.has(ca.node(a).peerId)) out.push({ b: -1, a })
  }
  return out
}

/**
 * The highest key any changed node has in either map. When r domains of the
 * before map lead above it, those leaders are unchanged nodes, present with
 * the same keys and domains after, so both maps choose the same set.
 */
function highestChangedKey (cb: Cluster, ca: Cluster, nodes: readonly ChangedNode[], p: number): number {
  let high = -Infinity
  for (const { b, a } of nodes) {
    if (b >= 0) high = Math.max(high, keyOf(cb, b, p))
    if (a >= 0) high = Math.max(high, keyOf(ca, a, p))
  }
  return high
}

function keyOf (c: Cluster, i: number, p: number): number {
  return lnUnit(unitHash(c.seed0[i] as number, c.seed1[i] as number, p)) / (c.weight[i] as number)
}
