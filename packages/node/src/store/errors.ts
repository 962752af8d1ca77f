import {
  WeftError,
  ChunkTooLargeError as WireChunkTooLargeError,
  HashMismatchError as WireHashMismatchError,
  InvalidCidError as WireInvalidCidError,
  InvalidRangeError as WireInvalidRangeError,
  SizeMismatchError as WireSizeMismatchError
} from '@weft/protocol'

/**
 * Failure modes of the chunk store, each with a stable `code` that goes on
 * the wire unchanged; callers match on `code`. Where @weft/protocol already
 * has a class for the failure, the store's error extends it (same code, and
 * `instanceof` the protocol class holds) and adds the details it knows.
 */

/** The store holds no chunk with this id. */
export class ChunkNotFoundError extends WeftError {
  static override readonly code = 'ERR_CHUNK_NOT_FOUND'
  readonly cid: string

  constructor (cid: string, message = `chunk ${cid} not found`) {
    super(message)
    this.cid = cid
  }
}

/** The bytes offered for a chunk do not hash to its id; nothing was stored. */
export class HashMismatchError extends WireHashMismatchError {
  readonly cid: string

  constructor (cid: string, message = `received bytes do not hash to ${cid}; nothing was stored`) {
    super(message)
    this.cid = cid
  }
}

/**
 * A stored chunk no longer matches its id (bit rot, a tampered file). The
 * copy has been quarantined; fetch the chunk from another replica.
 */
export class ChunkCorruptError extends WeftError {
  static override readonly code = 'ERR_CHUNK_CORRUPT'
  readonly cid: string
  readonly reason: string

  constructor (cid: string, reason: string) {
    super(`stored chunk ${cid} is corrupt (${reason}); it was quarantined, read it from another replica`)
    this.cid = cid
    this.reason = reason
  }
}

/** Accepting the chunk would exceed the configured capacity or the free disk space. */
export class StoreFullError extends WeftError {
  static override readonly code = 'ERR_STORE_FULL'
  readonly requestedBytes: number
  readonly freeBytes: number

  constructor (requestedBytes: number, freeBytes: number) {
    super(`store is full: ${requestedBytes} bytes requested, ${freeBytes} bytes free; write to another replica`)
    this.requestedBytes = requestedBytes
    this.freeBytes = freeBytes
  }
}

/** The chunk is larger than the store's `maxChunkSize`. */
export class ChunkTooLargeError extends WireChunkTooLargeError {
  readonly maxChunkSize: number

  constructor (size: number, maxChunkSize: number) {
    super(`chunk of ${size} bytes or more exceeds the limit of ${maxChunkSize} bytes; split it into smaller chunks`)
    this.maxChunkSize = maxChunkSize
  }
}

/** The id is not a CIDv1 with the raw codec and a sha2-256 multihash. */
export class InvalidCidError extends WireInvalidCidError {

  constructor (cid: string, why: string) {
    super(`invalid chunk id ${cid}: ${why}; chunk ids are CIDv1, raw codec, sha2-256`)
  }
}

/** The bytes received differ in number from the declared (or stored) size. */
export class SizeMismatchError extends WireSizeMismatchError {
  readonly expected: number
  readonly actual: number

  constructor (cid: string, expected: number, actual: number) {
    super(`chunk ${cid}: expected ${expected} bytes, received ${actual}${actual > expected ? ' or more' : ''}`)
    this.expected = expected
    this.actual = actual
  }
}

/** The requested byte range is not inside the chunk. */
export class InvalidRangeError extends WireInvalidRangeError {

  constructor (cid: string, offset: number, length: number | undefined, size: number) {
    super(`range offset=${offset} length=${length ?? 'rest'} is outside chunk ${cid} of ${size} bytes`)
  }
}

/** The store was closed. */
export class StoreClosedError extends WeftError {
  static override readonly code = 'ERR_STORE_CLOSED'

  constructor () {
    super('chunk store is closed')
  }
}
