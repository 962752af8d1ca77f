/** Defaults of WeftNodeInit, in one place. */

export const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0']

/** @see MembershipTimings */
export const DEFAULT_HEARTBEAT_MS = 1000
export const DEFAULT_SUSPECT_AFTER_MS = 5000
export const DEFAULT_DOWN_AFTER_MS = 15_000
export const DEFAULT_OUT_AFTER_MS = 600_000
/** anti-entropy period, in heartbeats */
export const DEFAULT_ANTI_ENTROPY_BEATS = 10
/** a member out (or gone) for this long is dropped from the map */
export const DEFAULT_FORGET_AFTER_MS = 24 * 3600 * 1000
/** usage (used bytes, full) is refreshed every this many heartbeats */
export const DEFAULT_USAGE_REFRESH_BEATS = 10

/**
 * for this many beats after start, anti-entropy runs every beat: the first sync
 * (with a seed) only returns who the seed knew then, and a newcomer that is not
 * yet in anyone's gossip mesh hears little until it has dialled other members
 */
export const JOIN_SYNC_BEATS = 5

/** the full record is republished every this many beats even when unchanged */
export const RECORD_REPUBLISH_BEATS = 10
/** a new node publishes its full record on its first beats, while its gossip mesh forms */
export const RECORD_INITIAL_BEATS = 3

/** members to stay connected to (all of them when fewer) */
export const DEFAULT_TARGET_PEERS = 8
export const DEFAULT_MAX_CONNECTIONS = 256
/** inbound connections per second accepted from one host (libp2p's default of 5 stalls a local mesh) */
export const DEFAULT_INBOUND_CONNECTION_THRESHOLD = 50
export const DEFAULT_MAX_INCOMING_PENDING_CONNECTIONS = 32
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000

/** seed dial backoff */
export const SEED_RETRY_MIN_MS = 250
export const SEED_RETRY_MAX_MS = 10_000
/** after a failed dial, a member is not dialled again for this long (doubling up to the max) */
export const MEMBER_DIAL_BACKOFF_MIN_MS = 1000
export const MEMBER_DIAL_BACKOFF_MAX_MS = 30_000
export const MAX_PARALLEL_MEMBER_DIALS = 4

/** syncs served at once; more are refused */
export const MAX_CONCURRENT_SYNCS_SERVED = 16
/** syncs started at once */
export const MAX_CONCURRENT_SYNCS_STARTED = 4
/** a pull triggered by a heartbeat goes to one peer at most this often */
export const PULL_BACKOFF_BEATS = 2

/** gossipsub mesh degree for the membership topic (target, low, high) and gossip fan-out */
export const GOSSIP_D = 4
export const GOSSIP_DLO = 3
export const GOSSIP_DHI = 8
export const GOSSIP_DLAZY = 3

/** per-signer gossip budget: burst, and messages refilled per heartbeat */
export const GOSSIP_BURST = 20
export const GOSSIP_REFILL_PER_BEAT = 3

/** how long a graceful stop waits for its `leaving` record to reach peers */
export const LEAVE_TIMEOUT_MS = 2000
/** peers a leaving node pushes its last record to directly */
export const LEAVE_PUSH_PEERS = 3

/** seq numbers reserved on disk at a time (a restart skips at most this many) */
export const SEQ_RESERVE_BLOCK = 64

/** known member addresses kept on disk for restarts */
export const MAX_KNOWN_PEERS = 256
export const KNOWN_PEERS_SAVE_MS = 5000

/** the data dir walk that measures usage stops after this many entries */
export const MAX_USAGE_WALK_ENTRIES = 100_000

/** yamux limits: the window must fit in the read buffer (see LIBP2P-NOTES) */
export const YAMUX_MAX_STREAM_WINDOW = 4 * 1024 * 1024
export const YAMUX_MAX_READ_BUFFER = 4 * 1024 * 1024
export const YAMUX_MAX_WRITE_BUFFER = 8 * 1024 * 1024

export const PEER_KEY_FILE = 'peer.key'
export const SEQ_FILE = 'seq'
export const KNOWN_PEERS_FILE = 'members.json'
export const SOFTWARE_VERSION = '0.1.0'

/**
 * yamux streams a peer may open on one connection (yamux's own default is
 * 1000): a stream flood is refused before multistream-select and a peer-store
 * write run for each. Chunk streams are capped lower per protocol (see
 * chunk/constants.ts); this leaves the control plane room beside them.
 */
export const YAMUX_MAX_INBOUND_STREAMS = 256

/** the record's capacity is re-announced when the store's figure moves by more than this fraction */
export const CAPACITY_CHANGE_FRACTION = 0.01
