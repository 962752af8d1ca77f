/** Timings and defaults of the `weft` command, in one place. */

/** admin server address of `weft node start` when --admin is not given: loopback, any free port */
export const DEFAULT_ADMIN = { host: '127.0.0.1', port: 0 }

/** a node with seeds that has not joined after this long is diagnosed (seed down? wrong key?) */
export const JOIN_GRACE_MS = 8000
/** how often a node that has not joined re-checks, and repeats a changed warning */
export const JOIN_RECHECK_MS = 10_000
/** a stopping node that has not finished leaving after this long exits anyway */
export const STOP_TIMEOUT_MS = 20_000

/** `weft up` */
export const DEFAULT_UP_NODES = 3
export const MAX_UP_NODES = 16
export const DEFAULT_UP_DIR = '.weft'
/** a child node that has not printed its address after this long failed to start */
export const CHILD_START_TIMEOUT_MS = 30_000
/** how long `weft up` waits for every node to see every other before printing the summary */
export const UP_CONVERGE_TIMEOUT_MS = 20_000
/** after SIGTERM, a child still running after this long is killed */
export const CHILD_STOP_TIMEOUT_MS = 25_000

/** admin HTTP requests of `weft status` and `weft node drain` */
export const ADMIN_TIMEOUT_MS = 5000
/** `weft node drain` polls the node's status this often */
export const DRAIN_POLL_MS = 1000
