/**
 * Garbage collection of chunks no live ref reaches (deleted and overwritten
 * objects, abandoned puts), by mark and sweep across the mesh, plus removal
 * of old ref tombstones and an audit that names objects whose data is gone.
 *
 * @example
 * ```ts
 * const gc = createGarbageCollector({ self, store, refs: () => refService.store, chunkClient, dialer, members, member, map }, { graceMs: 3_600_000 })
 * await gc.start()
 * const report = await gc.runOnce()
 * console.log(report.deleted, report.bytesFreed, report.skipped, gc.lost())
 * await gc.stop()
 * ```
 */
import { DefaultGarbageCollector } from './gc.js'
import type { GcReport, LostObject } from './types.js'
import type { NodeMetrics } from '../admin/metrics.js'
import type { NodeComponent } from '../component.js'
import type { Member } from '../membership/types.js'
import type { RefStore } from '../refs/store.js'
import type { ChunkStore } from '../store/index.js'
import type { AbortOptions } from '@libp2p/interface'
import type { ClusterMap } from '@weft/placement'
import type { ChunkClient, RefReferencedAnswer, StreamDialer } from '@weft/protocol'
import type { CID } from 'multiformats/cid'

export * from './constants.js'
export type { GcReport, GcSkip, GcSkipReason, LostObject, LostReason } from './types.js'

export interface GcInit {
  /**
   * `false` runs no periodic sweep (`runOnce()` still works, and the node
   * still answers other members' REFERENCED queries)
   *
   * @default true
   */
  enabled?: boolean
  /**
   * time between two sweeps (ms)
   *
   * @default DEFAULT_GC_INTERVAL_MS (10 minutes)
   */
  intervalMs?: number
  /**
   * a chunk is collected only once stored, and untouched by HAS or a put of
   * it, for this long; a restarted node collects nothing for this long (ms)
   *
   * @default DEFAULT_GC_GRACE_MS (1 hour)
   */
  graceMs?: number
  /**
   * ref tombstones older than this are removed (ms)
   *
   * @default DEFAULT_GC_TOMBSTONE_GRACE_MS (DEFAULT_TOMBSTONE_GRACE_MS of @weft/protocol, 24 hours)
   */
  tombstoneGraceMs?: number
  /**
   * candidates per REFERENCED query, 1..MAX_REFERENCED_BATCH
   *
   * @default DEFAULT_GC_BATCH (1024)
   */
  batch?: number
  /**
   * pause between two batches of a sweep (ms)
   *
   * @default DEFAULT_GC_BATCH_DELAY_MS
   */
  batchDelayMs?: number
  /**
   * how long a member may take to answer a REFERENCED query (ms)
   *
   * @default DEFAULT_GC_QUERY_TIMEOUT_MS
   */
  queryTimeoutMs?: number
  /**
   * how long fetching one manifest node from one peer may take (ms)
   *
   * @default DEFAULT_GC_FETCH_TIMEOUT_MS
   */
  fetchTimeoutMs?: number
  /**
   * most peers asked for a manifest node not held here
   *
   * @default DEFAULT_GC_MAX_FETCH_PEERS
   */
  maxFetchPeers?: number
  /**
   * bytes of manifest nodes (their ids) cached in memory
   *
   * @default DEFAULT_GC_MANIFEST_CACHE_BYTES (64 MiB)
   */
  manifestCacheBytes?: number
  /**
   * a manifest node no live member holds is not asked for again for this long (ms)
   *
   * @default DEFAULT_GC_MISSING_RETRY_MS
   */
  missingRetryMs?: number
  /**
   * most lost objects kept for `lost()`
   *
   * @default DEFAULT_GC_MAX_LOST
   */
  maxLost?: number
  /**
   * the audit also asks members (HAS, in batches) for every data chunk of this
   * node's refs, to report objects whose chunks no member holds
   *
   * @default true
   */
  auditChunks?: boolean
}

export interface GarbageCollectorComponents {
  /** this node's peer id */
  self: string
  store: Pick<ChunkStore, 'list' | 'has' | 'stat' | 'get' | 'touchedAt' | 'deleteUntouched' | 'forgetTouchesBefore'>
  /** the ref store (open while the ref service runs) */
  refs(): RefStore
  /** fetches manifest nodes and sends audit HAS batches */
  chunkClient: Pick<ChunkClient, 'get' | 'has'>
  /** opens `/weft/refs/1` streams to members (REFERENCED queries) */
  dialer: StreamDialer
  members(): Member[]
  member(peerId: string): Member | undefined
  map(): ClusterMap
  metrics?: Pick<NodeMetrics, 'gcRuns' | 'gcSkipped' | 'gcDeletedChunks' | 'gcFreedBytes' | 'gcTombstones' | 'lostObjects'>
}

export interface GarbageCollector extends NodeComponent {
  readonly status: 'stopped' | 'started'
  /**
   * One sweep now (after the one running, if any): tombstones, the lost
   * audit, then unreferenced chunks. Resolves with what it did; a sweep that
   * could not ask every member says why in `skipped`.
   */
  runOnce(options?: AbortOptions): Promise<GcReport>
  /** Answers a REFERENCED query from a fresh scan of this node's refs. */
  referenced(cids: readonly CID[], options?: AbortOptions): Promise<RefReferencedAnswer>
  /** Objects this node's last audit found lost (bounded by `maxLost`). */
  lost(): LostObject[]
  /** The last sweep's report. */
  lastReport(): GcReport | undefined
}

/** Creates the garbage collector, stopped. */
export function createGarbageCollector (components: GarbageCollectorComponents, init: GcInit = {}): GarbageCollector {
  return new DefaultGarbageCollector(components, init)
}
