/**
 * Where to look for a chunk, best first: its replica set under the bucket's
 * policy, ordered for this reader (same zone first, then measured latency
 * and load; replicas measured as slow or failing last), then a few more nodes of the partition's ranking that may hold
 * a copy (hand-off targets of a degraded write, the old owners after a map
 * change, draining nodes), in ranking order.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { PolicyUnsatisfiableError, partitionOfDigest, readerOrder } from '@weft/placement'
import type { ReplicaStats } from './stats.js'
import type { PeerId } from '@libp2p/interface'
import type { ClusterNode, Placement, PlacementPolicy, Reader } from '@weft/placement'
import type { CID } from 'multiformats/cid'

/** Nodes beyond the replica set worth asking, as a multiple of the replica count (plus one). */
const EXTRA_CANDIDATES = 2

export interface Candidate {
  readonly id: string
  readonly peer: PeerId
}

export interface LocatorComponents {
  /** the current cluster map's placement */
  placement(): Placement
  stats: ReplicaStats
  /** who reads: this client's peer id and zone */
  reader: Reader
}

export class Locator {
  private readonly c: LocatorComponents
  private readonly peerIds = new Map<string, PeerId>()

  constructor (components: LocatorComponents) {
    this.c = components
  }

  /** Replicas of chunk `cid` under `policy`, in the order to ask them. */
  candidates (cid: CID, policy: PlacementPolicy): Candidate[] {
    const placement = this.c.placement()
    const partition = partitionOfDigest(cid.multihash.digest)
    let replicas: readonly ClusterNode[]
    try {
      replicas = placement.replicaSet(partition, policy).nodes
    } catch (err) {
      if (!(err instanceof PolicyUnsatisfiableError)) throw err
      // too few eligible nodes to place new data is no reason not to read what exists:
      // the best-ranked live nodes are where the copies most likely are
      replicas = placement.ranking(partition).filter(n => n.state === 'up' || n.state === 'draining').slice(0, policy.replicas)
    }
    const chosen = new Set(replicas.map(n => n.peerId))
    const extra: ClusterNode[] = []
    const maxExtra = policy.replicas * EXTRA_CANDIDATES + 1
    for (const node of placement.ranking(partition)) {
      if (extra.length >= maxExtra) break
      if (chosen.has(node.peerId) || (node.state !== 'up' && node.state !== 'draining')) continue
      extra.push(node)
    }
    const ordered = readerOrder(replicas, this.c.reader, this.c.stats.snapshot(chosen))
    // a replica measured far slower than the rest (or failing) goes last whatever its zone
    const healthy = ordered.filter(n => !this.c.stats.isSlow(n.peerId))
    const slow = ordered.filter(n => this.c.stats.isSlow(n.peerId))
    return [...healthy, ...slow, ...extra].map(n => ({ id: n.peerId, peer: this.peerId(n.peerId) }))
  }

  private peerId (id: string): PeerId {
    let p = this.peerIds.get(id)
    if (p === undefined) {
      p = peerIdFromString(id)
      if (this.peerIds.size > 10_000) this.peerIds.clear()
      this.peerIds.set(id, p)
    }
    return p
  }
}
