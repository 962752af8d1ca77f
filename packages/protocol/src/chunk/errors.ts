import { WeftError } from '../errors.js'
import { MAX_ERROR_CODE_LENGTH } from './constants.js'

/** Bytes on the wire that do not form a valid frame or message. The stream is reset. */
export class ProtocolError extends WeftError {
  static override readonly code: string = 'ERR_PROTOCOL'
}

/** A frame announced a meta or payload length above the protocol's limits. */
export class FrameTooLargeError extends ProtocolError {
  static override readonly code = 'ERR_FRAME_TOO_LARGE'
}

/** The peer speaks a frame version this build does not. */
export class UnsupportedVersionError extends ProtocolError {
  static override readonly code = 'ERR_UNSUPPORTED_VERSION'
}

/** A request, a half-received frame or a write made no progress for too long. */
export class InactivityTimeoutError extends WeftError {
  static override readonly code = 'ERR_TIMEOUT'
}

/** The peer runs as many requests for us as it allows; retry later or elsewhere. */
export class BusyError extends WeftError {
  static override readonly code = 'ERR_BUSY'
}

/** The session (transport stream) ended before the request completed. */
export class SessionClosedError extends WeftError {
  static override readonly code = 'ERR_SESSION_CLOSED'
}

/** The request was cancelled by its caller. */
export class CancelledError extends WeftError {
  static override readonly code = 'ERR_CANCELLED'
}

/** No stream could be opened to the peer. */
export class PeerUnreachableError extends WeftError {
  static override readonly code = 'ERR_PEER_UNREACHABLE'
}

/** The operation is reserved for mesh members (delete: rebalance and GC). */
export class NotMemberError extends WeftError {
  static override readonly code = 'ERR_NOT_MEMBER'
}

/**
 * A replica further down a put chain whose outcome is unknown because the
 * link before it broke: it is reported failed, since nobody can vouch for it.
 */
export class ChainBrokenError extends WeftError {
  static override readonly code = 'ERR_CHAIN_BROKEN'
}

/** A list in a request (HAS batch, forward list) is longer than the protocol allows. */
export class BatchTooLargeError extends WeftError {
  static override readonly code = 'ERR_BATCH_TOO_LARGE'
}

/** A forward list names the receiver itself or one peer twice. */
export class InvalidForwardError extends WeftError {
  static override readonly code = 'ERR_INVALID_FORWARD'
}

/** A declared chunk size exceeds MAX_CHUNK_SIZE. */
export class ChunkTooLargeError extends WeftError {
  static override readonly code = 'ERR_CHUNK_TOO_LARGE'
}

/** Bytes that should hold a CID do not decode as one. */
export class InvalidCidError extends WeftError {
  static override readonly code = 'ERR_INVALID_CID'
}

/** A body's length differs from the size it declared. */
export class SizeMismatchError extends WeftError {
  static override readonly code = 'ERR_SIZE_MISMATCH'
}

/** Received bytes do not hash to the chunk's id. */
export class HashMismatchError extends WeftError {
  static override readonly code = 'ERR_HASH_MISMATCH'
}

/** A requested byte range lies outside the chunk. */
export class InvalidRangeError extends WeftError {
  static override readonly code = 'ERR_INVALID_RANGE'
}

const KNOWN: Record<string, new (message: string) => WeftError> = {
  [ProtocolError.code]: ProtocolError,
  [FrameTooLargeError.code]: FrameTooLargeError,
  [UnsupportedVersionError.code]: UnsupportedVersionError,
  [InactivityTimeoutError.code]: InactivityTimeoutError,
  [BusyError.code]: BusyError,
  [SessionClosedError.code]: SessionClosedError,
  [CancelledError.code]: CancelledError,
  [PeerUnreachableError.code]: PeerUnreachableError,
  [NotMemberError.code]: NotMemberError,
  [ChainBrokenError.code]: ChainBrokenError,
  [BatchTooLargeError.code]: BatchTooLargeError,
  [InvalidForwardError.code]: InvalidForwardError,
  [ChunkTooLargeError.code]: ChunkTooLargeError,
  [InvalidCidError.code]: InvalidCidError,
  [SizeMismatchError.code]: SizeMismatchError,
  [HashMismatchError.code]: HashMismatchError,
  [InvalidRangeError.code]: InvalidRangeError
}

/**
 * Rebuild an error received in an ERROR frame. Codes this module knows give
 * their class (so `instanceof` works); any other code (a store error, a newer
 * peer's code) gives a WeftError carrying that code.
 */
export function errorFromWire (code: string, message: string): WeftError {
  const Known = KNOWN[code]
  if (Known != null) {
    return new Known(message)
  }
  return new WeftError(message, code)
}

const CODE_PATTERN = /^ERR_[A-Z0-9_]+$/

/**
 * The code to put on the wire for a local error: its stable code when it has
 * one, else ERR_INTERNAL (details of unexpected errors stay in the local log).
 */
export function wireCodeOf (err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && code.length <= MAX_ERROR_CODE_LENGTH && CODE_PATTERN.test(code)) {
    return code
  }
  if ((err as { name?: unknown } | null)?.name === 'AbortError') {
    return CancelledError.code
  }
  return 'ERR_INTERNAL'
}

/**
 * The message to put on the wire beside `code`: unexpected (ERR_INTERNAL)
 * errors say only that, so local details (paths, stack state) stay local.
 */
export function wireMessageOf (err: unknown, code: string): string {
  if (code === 'ERR_INTERNAL') {
    return 'internal error'
  }
  return err instanceof Error ? err.message : String(err)
}
