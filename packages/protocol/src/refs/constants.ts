/**
 * Wire constants and limits of the ref protocol (`/weft/refs/1`). Every
 * length or count a peer sends is checked against one of these before
 * anything is allocated, so they are part of the wire contract.
 */
import { SHA256_BYTES } from '../model/cid.js'
import { MAX_BUCKET_RECORD_SIZE, MAX_REF_RECORD_SIZE } from '../model/constants.js'

/** The libp2p protocol id that carries ref frames. */
export const REFS_PROTOCOL = '/weft/refs/1'

/** Largest record (object ref or bucket record) a frame may carry. */
export const MAX_STORED_RECORD_SIZE = Math.max(MAX_REF_RECORD_SIZE, MAX_BUCKET_RECORD_SIZE)

/**
 * Most chunk ids one REFERENCED query carries (garbage collection asks in
 * batches of at most this many).
 */
export const MAX_REFERENCED_BATCH = 1024

/**
 * Largest request frame a server reads: one record, or a full REFERENCED
 * batch of digests, plus a little framing (a LIST or GET request is far
 * smaller).
 */
export const MAX_REF_REQUEST_BYTES = Math.max(MAX_STORED_RECORD_SIZE, 8 + MAX_REFERENCED_BATCH * SHA256_BYTES) + 1024

/** Most records one LIST (or PARTITION) answer may hold; S3's page size. */
export const MAX_LIST_LIMIT = 1000

/**
 * A LIST answer stops early (with `more` set) once its records reach this
 * many bytes, so a page of 1000 large bucket records still fits one frame.
 */
export const MAX_LIST_RESPONSE_BYTES = 1024 * 1024

/** Largest response frame a client reads: a full LIST page plus framing. */
export const MAX_REF_RESPONSE_BYTES = MAX_LIST_RESPONSE_BYTES + MAX_STORED_RECORD_SIZE + 1024

/** Longest error code string on the wire. */
export const MAX_REF_ERROR_CODE_LENGTH = 64

/** Longest error message on the wire. */
export const MAX_REF_ERROR_MESSAGE_LENGTH = 1024

/** Request id reserved for session-level errors (sent just before a reset). */
export const REF_SESSION_REQUEST_ID = 0

/** Largest request id (ids are varints; 2^32 - 1 then wrap to 1). */
export const MAX_REF_REQUEST_ID = 0xFFFFFFFF

/** How long a request may wait for its answer on the client (ms). */
export const DEFAULT_REF_REQUEST_TIMEOUT = 10_000

/**
 * How long a REFERENCED query may wait for its answer (ms): the answering
 * node scans every ref it holds and may have to fetch manifests first.
 */
export const DEFAULT_REF_REFERENCED_TIMEOUT = 120_000

/** How long a half-received frame or a blocked write may make no progress (ms). */
export const DEFAULT_REF_INACTIVITY_TIMEOUT = 30_000

/** A server session with no request in flight and no traffic for this long is closed (ms). */
export const DEFAULT_REF_SERVER_IDLE_TIMEOUT = 120_000

/**
 * A pooled client session unused for this long is closed (ms). Shorter than
 * the server's, so the client ends idle streams and a request never races a
 * server-side close.
 */
export const DEFAULT_REF_CLIENT_IDLE_TIMEOUT = 30_000

/**
 * Requests one server session runs at once; beyond it the server stops
 * reading the stream (backpressure) until one finishes.
 */
export const DEFAULT_REF_MAX_CONCURRENT_REQUESTS = 32

/** Bytes a transport adapter holds from its stream before pausing it. */
export const DEFAULT_REF_READ_HIGH_WATER_MARK = 256 * 1024
