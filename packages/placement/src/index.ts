/**
 * @weft/placement: pure, deterministic placement maths. No I/O, no clock, no
 * libp2p, nothing else of ours. Every peer that feeds the same cluster map and
 * policy into these functions gets the same answer, on any platform.
 *
 * @example
 * ```ts
 * import { createPlacement, partitionOfRef } from '@weft/placement'
 *
 * const placement = createPlacement({
 *   version: 1,
 *   nodes: [
 *     { peerId: 'a', weight: 1, zone: 'eu/dc1/r1/h1', state: 'up' },
 *     { peerId: 'b', weight: 2, zone: 'eu/dc1/r1/h2', state: 'up' },
 *     { peerId: 'c', weight: 1, zone: 'eu/dc2/r1/h3', state: 'up' }
 *   ]
 * })
 * const { nodes, degraded } = placement.replicaSet(partitionOfRef('photos', 'cat.jpg'), { replicas: 2, spread: 'zone' })
 * ```
 */
export type * from './types.js'
export { PARTITION_BITS, PARTITION_COUNT } from './constants.js'
export { partitionOfDigest, partitionOfRef } from './partition.js'
export { createPlacement } from './placement.js'
export type { Placement, PlacementInit, ReplicaSet } from './placement.js'
export { diffMaps } from './diff.js'
export type { DiffOptions, MapDiff, PartitionChange, PeerMovement } from './diff.js'
export { readerOrder } from './reader.js'
export type { PeerStats, Reader } from './reader.js'
export { InvalidArgumentError, InvalidMapError, InvalidPolicyError, PlacementError, PolicyUnsatisfiableError } from './errors.js'
export type { PolicyUnsatisfiableDetails } from './errors.js'
export { rendezvousKey } from './key.js'
export type { RendezvousKey } from './key.js'
