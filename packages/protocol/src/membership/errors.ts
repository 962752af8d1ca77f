import { WeftError } from '../errors.js'

/** A record (or one of its fields) does not match the record schema or its bounds. */
export class InvalidRecordError extends WeftError {
  static override readonly code: string = 'ERR_INVALID_RECORD'
}

/** A signed record is larger than MAX_RECORD_BYTES. */
export class RecordTooLargeError extends WeftError {
  static override readonly code: string = 'ERR_RECORD_TOO_LARGE'
}

/** The envelope's signature does not verify, or its key type is not Ed25519. */
export class InvalidSignatureError extends WeftError {
  static override readonly code: string = 'ERR_INVALID_SIGNATURE'
}

/** A record names a peer other than the key that signed it. */
export class RecordSignerMismatchError extends WeftError {
  static override readonly code: string = 'ERR_RECORD_SIGNER_MISMATCH'
}

/** A record belongs to another mesh. */
export class WrongMeshError extends WeftError {
  static override readonly code: string = 'ERR_WRONG_MESH'
}

/** The mesh key is not a `/key/swarm/psk/1.0.0/` base16 key of 32 bytes. */
export class InvalidMeshKeyError extends WeftError {
  static override readonly code: string = 'ERR_INVALID_MESH_KEY'
}

/** Neither a mesh key nor an explicit `insecureOpen: true` was given. */
export class MeshKeyRequiredError extends WeftError {
  static override readonly code: string = 'ERR_MESH_KEY_REQUIRED'
}

/** A gossip message or sync frame could not be decoded, or broke a bound. */
export class MalformedMemberMessageError extends WeftError {
  static override readonly code: string = 'ERR_MALFORMED_MEMBER_MESSAGE'
}
