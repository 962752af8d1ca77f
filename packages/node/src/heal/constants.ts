/** Defaults of the background reconciler (`heal` in WeftNodeInit). */

/** Wait this long after the last relevant map change before a pass (ms): joins come in bursts. */
export const DEFAULT_HEAL_SETTLE_MS = 2_000

/** A full pass runs at least this often even without map changes (ms): the slow sweep. */
export const DEFAULT_HEAL_SWEEP_MS = 10 * 60_000

/** After a pass that left work waiting (copies in flight elsewhere, unreachable owners), try again after this long, doubling up to the sweep period (ms). */
export const DEFAULT_HEAL_RETRY_MS = 1_000

/** A pass that only waited retries after at most this many times `retryMs` (the back-off's cap). */
export const MAX_HEAL_BACKOFF_FACTOR = 16

/** Chunks listed and checked (one HAS per owner) at a time. */
export const DEFAULT_HEAL_BATCH = 256

/** Copy tasks collected before they are sorted (fewest copies first) and run; bounds memory on huge stores. */
export const DEFAULT_HEAL_MAX_TASKS = 16_384

/** Copies in flight at once. */
export const DEFAULT_HEAL_CONCURRENCY = 4

/** Background bytes per second (copies sent); 0 = unlimited. */
export const DEFAULT_HEAL_BYTES_PER_SECOND = 200 * 1000 * 1000

/** While the node serves more client requests than this at once, background copies wait. */
export const DEFAULT_HEAL_YIELD_ABOVE_REQUESTS = 8

/** How long one HAS, GET or PUT of the reconciler may take (ms). */
export const DEFAULT_HEAL_REQUEST_TIMEOUT_MS = 30_000
