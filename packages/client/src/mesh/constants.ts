/** Defaults of connectMesh, in one place. */

/** a member silent this long is down (as the nodes' default downAfterMs) */
export const DEFAULT_DOWN_AFTER_MS = 15_000
/** how often the client pulls every record (with liveness ages) from a member */
export const DEFAULT_RESYNC_MS = 5_000
/** one dial attempt (a wrong mesh key only fails at this timeout) */
export const DEFAULT_DIAL_TIMEOUT_MS = 5_000
/** connectMesh gives up when no seed answered within this */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
/** seed retry backoff: first delay, doubling up to the max */
export const SEED_RETRY_MIN_MS = 100
export const SEED_RETRY_MAX_MS = 2_000
/** members the client stays connected to (for gossip and re-syncs), all when fewer */
export const DEFAULT_TARGET_PEERS = 3
/** a member whose dial failed is not dialled again for this long (doubling up to the max) */
export const MEMBER_DIAL_BACKOFF_MIN_MS = 1_000
export const MEMBER_DIAL_BACKOFF_MAX_MS = 30_000
/** member dials in flight at once */
export const MAX_PARALLEL_MEMBER_DIALS = 2
/** a pull prompted by gossip (a member we lack, a newer seq) runs at most this often */
export const PULL_MIN_INTERVAL_MS = 500
/** one sync exchange may take this long */
export const SYNC_TIMEOUT_MS = 10_000
/** libp2p connection limit of a client */
export const DEFAULT_MAX_CONNECTIONS = 128

/** yamux limits, as the nodes': the window must fit in the read buffer */
export const YAMUX_MAX_STREAM_WINDOW = 4 * 1024 * 1024
export const YAMUX_MAX_READ_BUFFER = 4 * 1024 * 1024
export const YAMUX_MAX_WRITE_BUFFER = 8 * 1024 * 1024
