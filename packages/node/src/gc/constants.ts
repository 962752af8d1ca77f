/** Defaults of the garbage collector (GcInit). */
import { DEFAULT_TOMBSTONE_GRACE_MS, MAX_REFERENCED_BATCH } from '@weft/protocol'

/** how often a sweep runs (ms) */
export const DEFAULT_GC_INTERVAL_MS = 10 * 60 * 1000

/**
 * A chunk is collected only once it has been stored, and untouched by a
 * writer's HAS probe or a put of it, this long (ms): a write in progress
 * (chunks first, the ref last) or about to reuse a stored chunk finishes
 * well within it. A restarted node collects nothing until this long after
 * it started (touches are kept in memory only).
 */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000

/** ref tombstones older than this are removed from the ref store (ms) */
export const DEFAULT_GC_TOMBSTONE_GRACE_MS = DEFAULT_TOMBSTONE_GRACE_MS

/** candidate chunks asked about per REFERENCED query (at most MAX_REFERENCED_BATCH) */
export const DEFAULT_GC_BATCH = MAX_REFERENCED_BATCH

/** pause between two batches of a sweep, so background work yields to clients (ms) */
export const DEFAULT_GC_BATCH_DELAY_MS = 100

/** how long a member may take to answer one REFERENCED query (ms) */
export const DEFAULT_GC_QUERY_TIMEOUT_MS = 120_000

/** how long fetching one manifest node from one peer may take (ms) */
export const DEFAULT_GC_FETCH_TIMEOUT_MS = 10_000

/**
 * Most peers asked for a manifest node this node does not hold, in
 * placement's ranking order (clients look at far fewer: a node beyond this
 * rank holding the only copy serves no reader either).
 */
export const DEFAULT_GC_MAX_FETCH_PEERS = 32

/** bytes of decoded manifest nodes (their chunk and child ids) kept in memory */
export const DEFAULT_GC_MANIFEST_CACHE_BYTES = 64 * 1024 * 1024

/** a manifest node no live member holds is not asked for again for this long (ms) */
export const DEFAULT_GC_MISSING_RETRY_MS = 30_000

/** most remembered missing manifest nodes */
export const MAX_GC_MISSING_ENTRIES = 10_000

/** most lost objects kept in `lost()` (the rest are counted and logged) */
export const DEFAULT_GC_MAX_LOST = 1000

/** refs resolved at once during a scan */
export const GC_SCAN_CONCURRENCY = 4

/** members asked at once during a sweep */
export const GC_QUERY_CONCURRENCY = 8

/** REFERENCED queries waiting for the next scan; more are refused with ERR_BUSY */
export const MAX_GC_PENDING_QUERIES = 64

/** refs walked between two yields to the event loop */
export const GC_YIELD_EVERY = 64
