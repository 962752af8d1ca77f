/** Defaults of the ref client. */

/** one request to one replica, including opening its stream (ms) */
export const DEFAULT_REF_REPLICA_TIMEOUT = 5_000

/** records asked of each node per LIST page (the protocol's maximum) */
export const DEFAULT_LIST_PAGE_SIZE = 1000

/** a failed LIST page is retried this many times on the same node before the node is given up */
export const LIST_PAGE_RETRIES = 1
