/** Defaults of the bucket functions. */

/** how long a bucket's policy is served from the client's cache (ms) */
export const DEFAULT_BUCKET_CACHE_TTL_MS = 10_000

/** most bucket policies the cache holds */
export const MAX_CACHED_BUCKETS = 1024

/** refs asked of each node when checking that a bucket is empty (tombstones may come first) */
export const EMPTY_CHECK_PAGE_SIZE = 100
