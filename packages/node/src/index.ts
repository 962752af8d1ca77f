import '@weft/protocol/polyfill'

/**
 * @weft/node: the weft storage daemon as a library.
 *
 * @example
 * ```ts
 * import { createNode, generateMeshKey } from '@weft/node'
 *
 * const meshKey = generateMeshKey() // or the bytes of <data>/mesh.key
 * const node = await createNode({ dataDir: '/var/lib/weft', meshKey, seeds: ['/ip4/10.0.0.5/tcp/4001/p2p/12D3Koo...'] })
 * node.addEventListener('member:joined', (evt) => { console.log('joined', evt.detail.peerId) })
 * await node.start()
 * console.log(node.getMap())
 * await node.stop()
 * ```
 */
import { generateKey } from '@libp2p/pnet'
import { createWeftNode } from './node.js'
import type { NodeMetricsInit } from './admin/metrics.js'
import type { HealInit, ScrubInit } from './heal/index.js'
import type { GcInit } from './gc/index.js'
import type { Usage } from './capacity.js'
import type { BulkServerLimits } from './bulk/index.js'
import type { ChunkServiceInit } from './chunk/service.js'
import type { RefServiceInit } from './refs/index.js'
import type { MembershipTimings } from './membership/types.js'
import type { WeftNode } from './node.js'
import type { ChunkStoreInit } from './store/index.js'

export interface ConnectionLimits {
  /**
   * members to stay connected to (all of them when fewer)
   *
   * @default 8
   */
  targetPeers?: number
  /**
   * libp2p's connection limit
   *
   * @default 256
   */
  maxConnections?: number
  /**
   * inbound connections per second accepted from one host
   *
   * @default 50
   */
  inboundConnectionThreshold?: number
  /**
   * inbound connections still in their handshake at once
   *
   * @default 32
   */
  maxIncomingPendingConnections?: number
  /**
   * time one dial may take
   *
   * @default 10000
   */
  dialTimeoutMs?: number
}

/** Where the bulk channel listens and what it accepts; per-session limits default to the chunk service's. */
export interface BulkInit extends BulkServerLimits {
  /**
   * @default the host of the first /ip4 or /ip6 listen address
   */
  host?: string
  /**
   * @default 0 (any free port)
   */
  port?: number
  /** the bulk address to announce (`/ip4/<ip>/tcp/<port>`), e.g. behind NAT */
  announce?: string
  /**
   * the host to announce with the listen port
   *
   * @default the host of the first announce address
   */
  announceHost?: string
}

export interface WeftNodeInit {
  /** where peer.key, seq and members.json live (created when missing) */
  dataDir: string
  /**
   * libp2p listen addresses
   *
   * @default ['/ip4/127.0.0.1/tcp/0']
   */
  listen?: string[]
  /** addresses to announce instead of the listen addresses (e.g. behind NAT) */
  announce?: string[]
  /** multiaddrs of members to join through (with or without /p2p/) */
  seeds?: string[]
  /**
   * failure-domain path `region/dc/rack/host`
   *
   * @default ''
   */
  zone?: string
  /**
   * Most bytes of chunks this node stores (the chunk store refuses more). The
   * record announces the store's capacity: this limit, or less when the disk
   * holds less (stored bytes + free space above the store's reserve).
   *
   * @default no limit: the free space of the file system holding dataDir
   */
  capacityBytes?: number
  /**
   * placement weight, fixed at start
   *
   * @default capacityBytes, or the size of the file system holding dataDir (statfs)
   */
  weight?: number
  /** chunk store options (reserve, largest chunk, when it counts as full) */
  store?: Omit<ChunkStoreInit, 'dir' | 'capacityBytes' | 'db'>
  /** chunk service limits and timeouts (`/weft/chunk/1`) */
  chunks?: ChunkServiceInit
  /**
   * The bulk channel: chunk frames over TLS 1.3 on a port of its own, used
   * between peers that reach each other directly (libp2p stays the
   * fallback). Its address goes into this node's record. `false` turns it off.
   *
   * @default on: the host of the first ip4/ip6 listen address, any free port, announced with the host of the first announce address
   */
  bulk?: BulkInit | false
  /** ref service limits and timeouts (`/weft/refs/1`) */
  refs?: RefServiceInit
  /**
   * the background reconciler (rebalance, repair, drain): timings, batch
   * sizes and the bandwidth and concurrency limits of background copies.
   * `false` turns it off (tests of other parts; a node that never moves data).
   *
   * @default on, with the defaults of HealInit
   */
  heal?: HealInit | false
  /**
   * scrubbing: the rate stored chunks are re-hashed at and how often; a
   * corrupt copy is replaced from a good replica. `false` turns it off (a
   * copy found corrupt by a read is then restored by the reconciler).
   *
   * @default on, with the defaults of ScrubInit (20 MB/s, a cycle a day)
   */
  scrub?: ScrubInit | false
  /**
   * garbage collection of chunks no live ref reaches, and of old ref
   * tombstones. `false` turns the periodic sweep off (the node still answers
   * other members' REFERENCED queries, and `node.gc.runOnce()` still sweeps).
   *
   * @default on: every 10 minutes, chunks idle for 1 hour, tombstones after 24 hours (see GcInit)
   */
  gc?: GcInit | false
  /**
   * metrics registry options
   *
   * @default process metrics on, no constant labels
   */
  metrics?: NodeMetricsInit
  /** the mesh key file's content (`/key/swarm/psk/1.0.0/` text); required unless insecureOpen */
  meshKey?: Uint8Array | string
  /** run without a mesh key: anyone can connect. Development only. */
  insecureOpen?: boolean
  /** failure detection and gossip timings (see MembershipTimings for defaults) */
  timings?: Partial<MembershipTimings>
  /**
   * most members the map holds
   *
   * @default 4096
   */
  maxMembers?: number
  connections?: ConnectionLimits
  /**
   * polled every 10 heartbeats for the record's usedBytes and full flag
   *
   * @default the chunk store's usage (also pushed at once when the store becomes full or stops being full)
   */
  usage?: () => Usage | Promise<Usage>
  /**
   * software version to announce
   *
   * @default this package's version
   */
  version?: string
}

/**
 * Creates a node, **stopped**: its identity is loaded (or created) and its
 * libp2p host exists, so other components can register protocol handlers on
 * `node.libp2p` before `start()`. Throws MeshKeyRequiredError without a mesh
 * key or `insecureOpen: true`, InvalidMeshKeyError for a malformed key.
 */
export async function createNode (init: WeftNodeInit): Promise<WeftNode> {
  return createWeftNode(init)
}

/** A new mesh key, in the text form `@libp2p/pnet` reads (write it to <data>/mesh.key). */
export function generateMeshKey (): Uint8Array {
  const key = new Uint8Array(95)
  generateKey(key)
  return key
}

export { WeftNode, resolveTimings } from './node.js'
export { NODE_PROCESS_V8_FLAGS } from './process-flags.js'
export type { NodeStatus } from './node.js'
export type { NodeComponent } from './component.js'
export { openChunkStore } from './store/index.js'
export type {
  ChunkStore, ChunkStoreInit, ChunkStoreEvents, ChunkStat as StoredChunkStat, StoreUsage, StoreCounters, ListedChunk
} from './store/index.js'
export { StoreFullError, ChunkNotFoundError, ChunkCorruptError, StoreClosedError } from './store/index.js'
export { createChunkService } from './chunk/index.js'
export { createBulkServer, BulkServer } from './bulk/index.js'
export type { BulkServerInit, BulkServerLimits, BulkServerStats } from './bulk/index.js'
export type { ChunkService, ChunkServiceInit, ChunkServiceStats, ChunkRequestObserver, ChunkRequestOutcome, ChunkOp } from './chunk/index.js'
export { createRefService, RefStore } from './refs/index.js'
export type { RefService, RefServiceComponents, RefServiceInit, RefServiceStats, RefStoreInit } from './refs/index.js'
export type { WeftServices } from './libp2p.js'
export type { Usage } from './capacity.js'
export type { Liveness, Member, MembershipEvents, MembershipStats, MembershipTimings, RecordPatch } from './membership/types.js'
export { placementState } from './membership/member-map.js'
export { CorruptStateError, InvalidPeerKeyError, MeshProtectionError, NodeNotStartedError } from './errors.js'
export { InvalidMeshKeyError, InvalidRecordError, MeshKeyRequiredError, parseMeshKey } from '@weft/protocol'
export { InsufficientReplicasError, planChunkWrite, writeChunk } from '@weft/protocol'
export type { ReplicaFailure, WriteChunkOptions, WriteChunkResult, WritePlan } from '@weft/protocol'
export { Reconciler, Scrubber, passSettled, targetMap } from './heal/index.js'
export type { CopyKind, HealEvents, HealInit, HealStatus, HealTotals, PassReport, ScrubInit, ScrubStats } from './heal/index.js'
export { createGarbageCollector } from './gc/index.js'
export type { GarbageCollector, GarbageCollectorComponents, GcInit, GcReport, GcSkip, GcSkipReason, LostObject, LostReason } from './gc/index.js'
export { createNodeMetrics } from './admin/metrics.js'
export type { NodeMetrics, NodeMetricsInit } from './admin/metrics.js'
export { startAdminServer } from './admin/server.js'
export type { AdminServer, AdminServerInit } from './admin/server.js'
