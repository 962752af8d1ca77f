/**
 * Defaults of the read path. Each is the `@default` of an `XxxInit` field.
 */

const MiB = 1024 * 1024

/** weight of a new latency sample in a peer's moving average */
export const DEFAULT_LATENCY_ALPHA = 0.25

/** recent times to first byte kept, for the hedge percentile */
export const DEFAULT_LATENCY_WINDOW = 128

/** samples needed before the percentile is trusted over `DEFAULT_INITIAL_HEDGE_MS` */
export const MIN_HEDGE_SAMPLES = 8

/** the percentile of recent times to first byte after which a request is hedged */
export const DEFAULT_HEDGE_PERCENTILE = 0.95

/**
 * hedges allowed per request: each request earns this much of a hedge, so
 * when everything is slow (an overloaded client or network) hedging adds at
 * most this share of extra requests instead of doubling the load
 */
export const DEFAULT_HEDGE_RATIO = 0.1

/** hedges that may be spent at once from the earned allowance */
export const DEFAULT_HEDGE_BURST = 10

/**
 * never hedge sooner than this (ms): on loopback a p95 of a fraction of a
 * millisecond would double the traffic for nothing
 */
export const DEFAULT_HEDGE_FLOOR_MS = 10

/** hedge delay (ms) while there are too few samples for a percentile */
export const DEFAULT_INITIAL_HEDGE_MS = 200

/** a single attempt on one replica fails over after this long without finishing (ms) */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000

/** requests on one chunk running at once (the first plus hedges) */
export const DEFAULT_MAX_HEDGED_ATTEMPTS = 2

/**
 * how long (ms) a peer that failed a request stays at the back of the
 * reader order (its measured latency plus `DEFAULT_FAILURE_PENALTY_MS`)
 */
export const DEFAULT_FAILURE_PENALTY_WINDOW_MS = 5_000

/** latency (ms) added to a peer's estimate while it is penalised */
export const DEFAULT_FAILURE_PENALTY_MS = 10_000

/** bytes of chunks fetched ahead of the reader, in flight or waiting to be consumed */
export const DEFAULT_READ_AHEAD_BYTES = 64 * MiB

/** chunks fetched at once, whatever their size (the window grows to this from 2) */
export const DEFAULT_READ_AHEAD_CHUNKS = 8

/**
 * a replica that keeps losing hedge races and whose first bytes take this
 * many times the other replicas' (median) is "slow": asked after the others
 * whatever its zone (its zone is no reason to wait for it)
 */
export const SLOW_FACTOR = 2

/**
 * a measurement older than this (ms) is forgotten: a replica that was slow
 * or failing gets asked again and re-measured instead of being avoided forever
 */
export const DEFAULT_MEASUREMENT_TTL_MS = 15_000

/** hedge races lost in a row (no byte sent in time) before a replica may count as slow */
export const RACES_LOST_TO_PENALTY = 2
