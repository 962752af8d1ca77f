/**
 * Defaults of the object operations. Each is the `@default` of an option.
 */

/**
 * chunk writes a put keeps in flight: with 4 MiB chunks about 16 MiB in
 * flight plus the chunk being filled, enough to keep a chain of replicas busy
 */
export const DEFAULT_PUT_CONCURRENCY = 4

/** most chunk writes one put may keep in flight */
export const MAX_PUT_CONCURRENCY = 64

/** refs asked for per list round trip */
export const DEFAULT_LIST_PAGE_SIZE = 1000

/**
 * times a chunk write is tried again after failing only for reasons that
 * may pass (a broken stream, a timeout, a busy or unreachable replica);
 * the retry asks the replicas what they hold first and sends only what is missing
 */
export const DEFAULT_CHUNK_WRITE_RETRIES = 2

/** wait before the first retry of a chunk write (ms), doubling after */
export const CHUNK_WRITE_RETRY_DELAY_MS = 100
