/**
 * Errors of the data model. Each failure mode has its own class and a stable
 * `code`; names and keys also carry the `rule` that was broken so a gateway
 * can map it to an S3 error without parsing the message.
 */
import { WeftError } from '../errors.js'

/** A bucket name breaks one of the naming rules (see `validateBucketName`). */
export class InvalidBucketNameError extends WeftError {
  static override readonly code = 'ERR_INVALID_BUCKET_NAME'
  readonly rule: BucketNameRule

  constructor (rule: BucketNameRule, message: string) {
    super(message)
    this.rule = rule
  }
}

/** Stable identifiers of the bucket-name rules. */
export type BucketNameRule =
  | 'type' | 'length' | 'charset' | 'edge' | 'adjacent-dots' | 'ip-address' | 'reserved-prefix' | 'reserved-suffix'

/** An object key breaks one of the key rules (see `validateKey`). */
export class InvalidKeyError extends WeftError {
  static override readonly code = 'ERR_INVALID_KEY'
  readonly rule: KeyRule

  constructor (rule: KeyRule, message: string) {
    super(message)
    this.rule = rule
  }
}

/** Stable identifiers of the key rules. */
export type KeyRule = 'type' | 'length' | 'utf16' | 'control-character'

/** User metadata or a content type is malformed or too large. */
export class InvalidMetadataError extends WeftError {
  static override readonly code = 'ERR_INVALID_METADATA'
}

/** A hybrid-logical-clock version is malformed (bad fields or encoding). */
export class InvalidVersionError extends WeftError {
  static override readonly code = 'ERR_INVALID_VERSION'
}

/**
 * A remote timestamp is further ahead of the local wall clock than the clock
 * tolerates; accepting it would drag every later version forward.
 */
export class ClockDriftError extends WeftError {
  static override readonly code = 'ERR_CLOCK_DRIFT'
  /** how far ahead of the local wall clock the remote timestamp was, in ms */
  readonly aheadMs: number

  constructor (message: string, aheadMs: number) {
    super(message)
    this.aheadMs = aheadMs
  }
}

/** Manifest bytes (or a manifest tree) are malformed, inconsistent or oversized. */
export class InvalidManifestError extends WeftError {
  static override readonly code = 'ERR_INVALID_MANIFEST'
}

/**
 * The chunk protocol's errors for the same failures (a range outside an
 * object or chunk: ERR_INVALID_RANGE; bytes that fail their hash or block
 * hash: ERR_HASH_MISMATCH), shared so `instanceof` holds across layers.
 */
export { HashMismatchError, InvalidRangeError } from '../chunk/errors.js'

/** An object ref record is malformed or inconsistent. */
export class InvalidRefRecordError extends WeftError {
  static override readonly code = 'ERR_INVALID_REF_RECORD'
}

/** A bucket record is malformed or inconsistent. */
export class InvalidBucketRecordError extends WeftError {
  static override readonly code = 'ERR_INVALID_BUCKET_RECORD'
}

/** A bucket policy cannot be honoured as written (bad replicas, spread, zones, chunk size). */
export class InvalidBucketPolicyError extends WeftError {
  static override readonly code = 'ERR_INVALID_BUCKET_POLICY'
}
