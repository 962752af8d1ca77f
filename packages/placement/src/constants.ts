/**
 * Fixed numbers of the placement function. Changing any of them changes where
 * data lives, so they are part of the compatibility contract (the test vectors
 * pin them).
 */

/**
 * A mesh has 2^PARTITION_BITS partitions. At 2^22 the imbalance that
 * partitioning adds stays below the sampling noise of the data itself up to
 * ~1,000 nodes (README "Why 2^22 partitions"); replica-set caches fill lazily
 * and cost at most 2 bytes x r per partition.
 */
export const PARTITION_BITS = 22

/** Number of partitions, a power of two. */
export const PARTITION_COUNT = 2 ** PARTITION_BITS

/** Segments of a zone path that spreading looks at: `region/dc/rack/host`. */
export const ZONE_DEPTH = 4

/** Segments of the zone path that each spread level compares. */
export const SPREAD_DEPTH = { zone: 2, rack: 3, host: 4 } as const

/**
 * How many policies one placement keeps a replica-set cache for; the least
 * recently used is dropped beyond this.
 */
export const DEFAULT_MAX_CACHED_POLICIES = 8
