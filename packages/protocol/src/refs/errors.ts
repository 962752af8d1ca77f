/**
 * Errors of the ref protocol. Framing faults reuse the chunk protocol's
 * classes (same codes, same meaning); a request that frames fine but is
 * malformed or out of bounds is `InvalidRefRequestError`.
 */
import { WeftError } from '../errors.js'
import { errorFromWire } from '../chunk/errors.js'
import { InvalidBucketRecordError, InvalidRefRecordError, InvalidVersionError } from '../model/errors.js'

/** A request or answer body is malformed or breaks a bound (limit, prefix length, bucket name). */
export class InvalidRefRequestError extends WeftError {
  static override readonly code = 'ERR_INVALID_REF_REQUEST'
}

const KNOWN: Record<string, new (message: string) => WeftError> = {
  [InvalidRefRequestError.code]: InvalidRefRequestError,
  [InvalidRefRecordError.code]: InvalidRefRecordError,
  [InvalidBucketRecordError.code]: InvalidBucketRecordError,
  [InvalidVersionError.code]: InvalidVersionError
}

/**
 * Rebuild an error received in an ERROR frame: the ref and model codes give
 * their classes, the chunk protocol's codes theirs (ERR_PROTOCOL,
 * ERR_TIMEOUT, ERR_NOT_MEMBER...), any other code a WeftError carrying it.
 */
export function refErrorFromWire (code: string, message: string): WeftError {
  const Known = KNOWN[code]
  if (Known != null) return new Known(message)
  return errorFromWire(code, message)
}
