import { WeftError } from '../errors.js'

/** The peer announces no bulk address: use another transport (not a failure). */
export class BulkUnavailableError extends WeftError {
  static override readonly code = 'ERR_BULK_UNAVAILABLE'
}

/**
 * The far end's certificate is missing, is not a valid libp2p certificate, or
 * belongs to another peer id than the one expected.
 */
export class BulkAuthError extends WeftError {
  static override readonly code = 'ERR_BULK_AUTH'
}

/** TCP connect, the TLS handshake (version, ALPN) or the bulk hello failed or timed out. */
export class BulkHandshakeError extends WeftError {
  static override readonly code = 'ERR_BULK_HANDSHAKE'
}

/** The server authenticated us and refused: not a peer it serves, or too busy. */
export class BulkRefusedError extends WeftError {
  static override readonly code = 'ERR_BULK_REFUSED'
}
