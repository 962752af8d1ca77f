/**
 * Who a chunk write goes to, from what placement said. @weft/protocol does
 * not depend on @weft/placement (the client and node both do): the caller
 * runs placement and passes its answer in, so the rules on top of it (skip
 * full nodes, try shaky ones last, fill the chain to r from the fallbacks)
 * live in one place both can use.
 *
 * ```ts
 * const placement = createPlacement(map)
 * const partition = partitionOfDigest(cid.multihash.digest)
 * const plan = planChunkWrite({
 *   replicaSet: placement.replicaSet(partition, policy).nodes.map(n => n.peerId),
 *   fallbacks: placement.fallbacks(partition, policy).map(n => n.peerId),
 *   replicas: policy.replicas,
 *   exclude: peer => records.get(peer)?.full === true
 * })
 * ```
 */

export interface WritePlanInput {
  /** placement's replica set for the chunk's partition, best first */
  replicaSet: readonly string[]
  /** placement's fallbacks (the other eligible nodes in ranking order) */
  fallbacks: readonly string[]
  /** copies wanted (r) */
  replicas: number
  /** peers not to write to at all (e.g. their record says `full`) */
  exclude?(peerId: string): boolean
  /** peers to try only after every other candidate (e.g. suspect members) */
  deprioritize?(peerId: string): boolean
}

export interface WritePlan {
  /** the chain for the first attempt: r peers (fewer if there are not enough), best first */
  targets: string[]
  /** hand-off order once a target fails */
  fallbacks: string[]
  /** replica-set members left out of the targets (excluded or deprioritized) */
  displaced: string[]
}

/**
 * The targets are the replica set minus excluded and deprioritized peers,
 * topped up to r from the fallbacks in order (a hand-off planned up front: a
 * full replica is known before any byte is sent). Deprioritized peers go to
 * the end of the fallbacks, replica-set members before other nodes.
 */
export function planChunkWrite (input: WritePlanInput): WritePlan {
  const { replicas } = input
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new TypeError(`replicas must be an integer >= 1, got ${String(replicas)}`)
  }
  const seen = new Set<string>()
  const good: string[] = []
  const late: string[] = []
  const displaced: string[] = []
  const consider = (peer: string, inSet: boolean): void => {
    if (seen.has(peer)) return
    seen.add(peer)
    if (input.exclude?.(peer) === true) {
      if (inSet) displaced.push(peer)
      return
    }
    if (input.deprioritize?.(peer) === true) {
      if (inSet) displaced.push(peer)
      late.push(peer)
      return
    }
    good.push(peer)
  }
  for (const peer of input.replicaSet) consider(peer, true)
  for (const peer of input.fallbacks) consider(peer, false)
  // the replica set's own order first; a displaced member's slot goes to the best fallback
  const ordered = [...good, ...late]
  return { targets: ordered.slice(0, replicas), fallbacks: ordered.slice(replicas), displaced }
}
