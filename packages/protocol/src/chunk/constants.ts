/**
 * Wire constants and limits of the chunk protocol. Every length or count a
 * peer sends is checked against one of these before anything is allocated.
 */

/** The libp2p protocol id that carries chunk frames. */
export const CHUNK_PROTOCOL = '/weft/chunk/1'

/** First byte of every frame ('W'): garbage is rejected on its first byte. */
export const FRAME_MAGIC = 0x57

/** Second byte of every frame; a peer that speaks another version is refused. */
export const FRAME_VERSION = 1

/** Every frame starts with a fixed header of this many bytes. */
export const FRAME_HEADER_LENGTH = 16

/** Largest `meta` section a frame may carry. */
export const MAX_META_LENGTH = 16 * 1024

/** Largest payload one frame may carry; bodies are split into frames of at most this. */
export const MAX_FRAME_PAYLOAD = 256 * 1024

/** Largest chunk the protocol moves (a 4 MiB default chunk leaves room to grow). */
export const MAX_CHUNK_SIZE = 8 * 1024 * 1024

/** Most chunk ids one HAS request may ask about. */
export const MAX_HAS_BATCH = 1024

/** Most downstream replicas one PUT may name in its forward list. */
export const MAX_FORWARD = 16

/** Most addresses given for one forward target. */
export const MAX_FORWARD_ADDRS = 8

/** Longest encoded CID accepted (a CIDv1 sha2-256 is 36 bytes). */
export const MAX_CID_BYTES = 128

/** Longest encoded peer id (multihash bytes) accepted. */
export const MAX_PEER_ID_BYTES = 128

/** Longest encoded multiaddr accepted in a forward list. */
export const MAX_ADDR_BYTES = 255

/** Longest error code string on the wire. */
export const MAX_ERROR_CODE_LENGTH = 64

/** Longest error message in an ERROR frame. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024

/** Longest error message per failed replica inside a PUT result. */
export const MAX_PUT_FAILURE_MESSAGE_LENGTH = 256

/** GET length meaning "to the end of the chunk". */
export const LENGTH_TO_END = 0xFFFFFFFF

/** Request id reserved for session-level errors (sent just before a reset). */
export const SESSION_REQUEST_ID = 0

/** How long a request, a half-received frame or a blocked write may make no progress. */
export const DEFAULT_INACTIVITY_TIMEOUT = 30_000

/** A server session with no request and no traffic for this long is closed. */
export const DEFAULT_SERVER_IDLE_TIMEOUT = 120_000

/**
 * A pooled client stream unused for this long is closed. Shorter than the
 * server's idle timeout so the client, not the server, ends idle streams and
 * a request never races a server-side close.
 */
export const DEFAULT_CLIENT_IDLE_TIMEOUT = 30_000

/** Requests one server session runs at once; more are refused with ERR_BUSY. */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 32

/** Requests a client keeps in flight on one pooled stream. */
export const DEFAULT_MAX_REQUESTS_PER_STREAM = 16

/** Pooled long-lived streams per peer. */
export const DEFAULT_MAX_STREAMS_PER_PEER = 2

/** Bytes buffered per request body (put body, get data) before the transport is paused. */
export const DEFAULT_BODY_BUFFER_BYTES = 1024 * 1024

/** Bytes an adapter buffers from its transport before pausing it. */
export const DEFAULT_READ_HIGH_WATER_MARK = 1024 * 1024

/** Most placement policies one PUT (and one stored chunk) carries: a chunk shared by buckets with different policies lives by all of them. */
export const MAX_CHUNK_POLICIES = 4

/** Most replicas a chunk policy may ask for (as a bucket policy). */
export const MAX_POLICY_REPLICAS = 16

/** Most allowed zones in one chunk policy (as a bucket policy). */
export const MAX_POLICY_ZONES = 32

/** Longest allowed-zone prefix in a chunk policy. */
export const MAX_POLICY_ZONE_BYTES = 255
